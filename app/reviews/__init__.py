"""Governance reviews: opened when a joint KPI turns off track, closed by a decision."""
