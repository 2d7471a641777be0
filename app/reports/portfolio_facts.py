"""The facts of one report, loaded lazily: a report that runs only the KPI rules never reads
the cells."""

from functools import cached_property

from sqlalchemy.orm import Session

from app.reports.facts import (
    CapabilityUse,
    CellAgreementFacts,
    ComponentFacts,
    ComponentPass,
    EarlyInvolvementFacts,
    InitiativeFacts,
    KpiFacts,
    OverdueReview,
    ReportScope,
    agreement_facts,
    component_pass,
    early_involvement_facts,
    initiative_facts,
    kpi_facts,
    overdue_reviews,
)


class PortfolioFacts:
    """The facts the rules read, each loaded on first use and then kept for the request."""

    def __init__(self, session: Session, scope: ReportScope) -> None:
        self.session = session
        self.scope = scope

    @cached_property
    def component_pass(self) -> ComponentPass:
        return component_pass(self.session, self.scope)

    @property
    def components(self) -> list[ComponentFacts]:
        """The components a component rule may report (not every component: see
        `ComponentPass.flagged`); each rule still checks its own condition."""
        return self.component_pass.flagged

    @cached_property
    def initiatives(self) -> list[InitiativeFacts]:
        return initiative_facts(self.session, self.scope)

    @cached_property
    def kpis(self) -> list[KpiFacts]:
        return kpi_facts(self.session, self.scope)

    @cached_property
    def overdue_reviews(self) -> list[OverdueReview]:
        return overdue_reviews(self.session, self.scope)

    @cached_property
    def agreements(self) -> list[CellAgreementFacts]:
        """The cells the agreement rules report (disputed, unagreed, stale)."""
        return agreement_facts(self.session, self.scope)

    @cached_property
    def early_involvement(self) -> list[EarlyInvolvementFacts]:
        """The proposed and planned initiatives, with who is involved (issue 20)."""
        return early_involvement_facts(self.session, self.scope)

    @property
    def roles_by_initiative(self) -> dict[str, tuple[str, set[str]]]:
        """Initiative key -> (its name, its one role), for the initiatives whose cells
        (on any of their components) name exactly one role."""
        return self.component_pass.roles_by_initiative

    @property
    def capability_uses(self) -> dict[str, CapabilityUse]:
        """Capability key -> the counted initiatives building it and who is accountable."""
        return self.component_pass.capability_uses
