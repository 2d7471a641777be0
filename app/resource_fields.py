"""The writable fields of each resource besides its key: one list each, shared by the audit
trail, the bulk import and the export so that the three always agree."""

ROLE_FIELDS = ("name", "description")
CAPABILITY_FIELDS = ("name", "domain", "description", "agreed_owner", "rationale")
INITIATIVE_FIELDS = (
    "name",
    "kind",
    "status",
    "portfolio",
    "sponsor",
    "goals",
    "use_cases",
    "feasibility",
    "priority",
    "start_date",
    "end_date",
    "external_ref",
)
COMPONENT_FIELDS = ("name", "capability", "description")
KPI_FIELDS = ("name", "unit", "direction", "baseline", "baseline_date", "target", "target_date")
