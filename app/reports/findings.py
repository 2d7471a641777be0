"""The findings report: each rule is one function over the portfolio facts, listed in CHECKS.

To add a rule: add it to app/rules/catalog.py (and seed its setting in a migration),
write a function `(facts) -> Iterator[Finding]` here and register it in CHECKS.
"""

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.db.base import utcnow
from app.references import require_named_subjects
from app.reports.facts import ReportScope
from app.reports.portfolio_facts import PortfolioFacts
from app.rules.catalog import (
    RULE_CODES,
    SEVERITIES,
    SEVERITY_RANK,
    RuleCode,
)
from app.rules.service import rule_states
from app.waivers.service import AppliedWaiver, Subject, active_waivers


@dataclass(slots=True)
class Finding:
    rule: str
    initiative: str | None
    component: str | None
    capability: str | None
    kpi: str | None
    roles: tuple[str, ...]
    message: str
    severity: str = ""  # set from the rule's setting when the report is assembled
    waiver: AppliedWaiver | None = None  # set when an active waiver accepts the finding

    def subject(self) -> Subject:
        """What a waiver names to accept this finding."""
        return (self.rule, self.initiative, self.component, self.capability, self.kpi)

    def sort_key(self) -> tuple[int, str, str, str, str, str]:
        return (
            SEVERITY_RANK.get(self.severity, len(SEVERITY_RANK)),
            self.rule,
            self.initiative or "",
            self.component or "",
            self.capability or "",
            self.kpi or "",
        )


def _names(codes: Iterable[str]) -> str:
    """`CIO`, `CDO and CIO`, `CDO, CIO and CMO`."""
    listed = list(codes)
    if len(listed) <= 1:
        return "".join(listed)
    return f"{', '.join(listed[:-1])} and {listed[-1]}"


def _quoted(names: Sequence[str], most: int = 3) -> str:
    shown = [f"'{name}'" for name in names[:most]]
    if len(names) > most:
        shown.append(f"{len(names) - most} more")
    return _names(shown)


# --- component rules -------------------------------------------------------------------


def unowned_components(facts: PortfolioFacts) -> Iterator[Finding]:
    for c in facts.components:
        if c.accountable:
            continue
        hint = (
            f" (the agreed owner of '{c.capability_name}' is {c.agreed_owner})"
            if c.agreed_owner
            else ""
        )
        yield Finding(
            "UNOWNED_COMPONENT",
            c.initiative,
            c.key,
            c.capability,
            None,
            c.roles,
            f"Nobody is accountable for '{c.name}' in '{c.initiative_name}'{hint}; "
            "name one role to hold it accountable.",
        )


def multiple_accountable(facts: PortfolioFacts) -> Iterator[Finding]:
    for c in facts.components:
        if len(c.accountable) < 2:
            continue
        who = (
            f"Both {_names(c.accountable)} are"
            if len(c.accountable) == 2
            else f"{_names(c.accountable)} are all"
        )
        yield Finding(
            "MULTIPLE_ACCOUNTABLE",
            c.initiative,
            c.key,
            c.capability,
            None,
            c.accountable,
            f"{who} accountable for '{c.name}' in '{c.initiative_name}'; agree on one.",
        )


def no_responsible(facts: PortfolioFacts) -> Iterator[Finding]:
    for c in facts.components:
        if c.responsible_count:
            continue
        action = (
            f"{_names(c.accountable)}, accountable, should name who does the work"
            if c.accountable
            else "name who does the work"
        )
        yield Finding(
            "NO_RESPONSIBLE",
            c.initiative,
            c.key,
            c.capability,
            None,
            c.accountable,
            f"Nobody is responsible for '{c.name}' in '{c.initiative_name}'; {action}.",
        )


def owner_drift(facts: PortfolioFacts) -> Iterator[Finding]:
    for c in facts.components:
        if c.agreed_owner is None or c.agreed_owner in c.accountable:
            continue
        actual = (
            f"{_names(c.accountable)} {'is' if len(c.accountable) == 1 else 'are'} accountable"
            if c.accountable
            else "nobody is accountable"
        )
        yield Finding(
            "OWNER_DRIFT",
            c.initiative,
            c.key,
            c.capability,
            None,
            tuple(sorted({c.agreed_owner, *c.accountable})),
            f"The agreed owner of '{c.capability_name}' is {c.agreed_owner}, but {actual} for "
            f"'{c.name}' in '{c.initiative_name}'; make {c.agreed_owner} accountable or "
            "revisit the agreement.",
        )


# --- initiative rules ------------------------------------------------------------------


def unsponsored_initiatives(facts: PortfolioFacts) -> Iterator[Finding]:
    for i in facts.initiatives:
        if i.sponsor is None:
            yield Finding(
                "UNSPONSORED_INITIATIVE",
                i.key,
                None,
                None,
                None,
                (),
                f"'{i.name}' has no sponsor; name the executive who champions and funds it.",
            )


def siloed_initiatives(facts: PortfolioFacts) -> Iterator[Finding]:
    for key, (name, roles) in facts.roles_by_initiative.items():
        if len(roles) != 1:
            continue
        (only,) = roles
        yield Finding(
            "SILOED_INITIATIVE",
            key,
            None,
            None,
            None,
            (only,),
            f"Only {only} appears in the RACI of '{name}'; consult or inform a partner role "
            "so the work is not done in a silo.",
        )


def no_joint_kpi(facts: PortfolioFacts) -> Iterator[Finding]:
    for i in facts.initiatives:
        if i.has_joint_kpi:
            continue
        yield Finding(
            "NO_JOINT_KPI",
            i.key,
            None,
            None,
            None,
            (i.sponsor,) if i.sponsor else (),
            f"No KPI owned jointly by two or more roles serves '{i.name}'; agree a shared KPI "
            "so its success is measured by both sides.",
        )


# --- portfolio-wide rules --------------------------------------------------------------


def capability_overlaps(facts: PortfolioFacts) -> Iterator[Finding]:
    for use in facts.capability_uses.values():
        if len(use.initiatives) < 2 or len(use.accountable) < 2:
            continue
        roles = tuple(sorted(use.accountable))
        where = _quoted(sorted(use.initiatives.values()))
        yield Finding(
            "CAPABILITY_OVERLAP",
            None,
            None,
            use.key,
            None,
            roles,
            f"'{use.name}' is built in {where} with {_names(roles)} each accountable; "
            "agree one owner for the capability.",
        )


def _number(value: float) -> str:
    return f"{value:g}"


def kpis_off_track(facts: PortfolioFacts) -> Iterator[Finding]:
    for k in facts.kpis:
        if k.status != "off_track":
            continue
        unit = f" {k.unit}" if k.unit else ""
        latest = f" at {_number(k.latest_value)}{unit}" if k.latest_value is not None else ""
        yield Finding(
            "KPI_OFF_TRACK",
            None,
            None,
            None,
            k.key,
            k.owners,
            f"KPI '{k.name}' is off track{latest} against a target of "
            f"{_number(k.target)}{unit} by {k.target_date.isoformat()}; "
            f"{_names(k.owners) or 'its owners'} should review the plan.",
        )


def governance_reviews_overdue(facts: PortfolioFacts) -> Iterator[Finding]:
    for r in facts.overdue_reviews:
        yield Finding(
            "GOVERNANCE_REVIEW_OVERDUE",
            None,
            None,
            None,
            r.kpi,
            r.participants,
            f"The governance review '{r.key}' of KPI '{r.kpi_name}' was due on "
            f"{r.due_on.isoformat()} and is still open; {_names(r.participants) or 'an admin'} "
            "should decide it: keep the model, or change the owner, the model or the target.",
        )


# --- agreement rules (API.md "Explicit agreement") -------------------------------------


def disputed_cells(facts: PortfolioFacts) -> Iterator[Finding]:
    for a in facts.agreements:
        if a.state != "disputed":
            continue
        why = f': "{a.comment}"' if a.comment else ""
        yield Finding(
            "DISPUTED_CELL",
            a.initiative,
            a.component,
            a.capability,
            None,
            (a.role,),
            f"{a.by or 'A key'} disputes {a.role}'s {a.raci} for '{a.component_name}' in "
            f"'{a.initiative_name}'{why}; settle the cell and set it again.",
        )


def unagreed_cells(facts: PortfolioFacts) -> Iterator[Finding]:
    for a in facts.agreements:
        if a.state != "proposed":
            continue
        yield Finding(
            "UNAGREED_CELL",
            a.initiative,
            a.component,
            a.capability,
            None,
            (a.role,),
            f"{a.role} has not agreed to being {a.raci} for '{a.component_name}' in "
            f"'{a.initiative_name}', proposed on {a.letters_set_at.date().isoformat()}; "
            f"ask {a.role} to agree or dispute.",
        )


def stale_agreements(facts: PortfolioFacts) -> Iterator[Finding]:
    for a in facts.agreements:
        if a.state != "agreed" or a.at is None:
            continue
        yield Finding(
            "STALE_AGREEMENT",
            a.initiative,
            a.component,
            a.capability,
            None,
            (a.role,),
            f"{a.role} agreed to being {a.raci} for '{a.component_name}' in "
            f"'{a.initiative_name}' on {a.at.date().isoformat()}; ask {a.role} to confirm it.",
        )


# --- early involvement (issue 20) -----------------------------------------------------


def it_not_involved_early(facts: PortfolioFacts) -> Iterator[Finding]:
    for i in facts.early_involvement:
        if not i.needs_technology or i.technology_involved:
            continue
        yield Finding(
            "IT_NOT_INVOLVED_EARLY",
            i.key,
            None,
            None,
            None,
            (i.sponsor,) if i.sponsor else (),
            f"'{i.name}' needs technology, but no technology role is responsible, accountable "
            "or consulted for any of its components; involve IT now, before it is built or "
            "bought.",
        )


def business_not_involved_early(facts: PortfolioFacts) -> Iterator[Finding]:
    for i in facts.early_involvement:
        if i.portfolio != "it" or i.marketing_involved:
            continue
        yield Finding(
            "BUSINESS_NOT_INVOLVED_EARLY",
            i.key,
            None,
            None,
            None,
            (i.sponsor,) if i.sponsor else (),
            f"No marketing role is responsible, accountable or consulted for any component of "
            f"'{i.name}' in the IT portfolio; involve the business now, so that what is built "
            "meets its needs.",
        )


@dataclass(frozen=True)
class RuleCheck:
    code: RuleCode
    # True when every finding names an initiative: initiative and portfolio filters then
    # narrow what is read. Portfolio-wide rules are left out when those filters are given.
    per_initiative: bool
    check: Callable[[PortfolioFacts], Iterator[Finding]]


CHECKS: tuple[RuleCheck, ...] = (
    RuleCheck("UNOWNED_COMPONENT", True, unowned_components),
    RuleCheck("MULTIPLE_ACCOUNTABLE", True, multiple_accountable),
    RuleCheck("NO_RESPONSIBLE", True, no_responsible),
    RuleCheck("UNSPONSORED_INITIATIVE", True, unsponsored_initiatives),
    RuleCheck("SILOED_INITIATIVE", True, siloed_initiatives),
    RuleCheck("CAPABILITY_OVERLAP", False, capability_overlaps),
    RuleCheck("OWNER_DRIFT", True, owner_drift),
    RuleCheck("NO_JOINT_KPI", True, no_joint_kpi),
    RuleCheck("KPI_OFF_TRACK", False, kpis_off_track),
    RuleCheck("GOVERNANCE_REVIEW_OVERDUE", False, governance_reviews_overdue),
    RuleCheck("DISPUTED_CELL", True, disputed_cells),
    RuleCheck("UNAGREED_CELL", True, unagreed_cells),
    RuleCheck("STALE_AGREEMENT", True, stale_agreements),
    RuleCheck("IT_NOT_INVOLVED_EARLY", True, it_not_involved_early),
    RuleCheck("BUSINESS_NOT_INVOLVED_EARLY", True, business_not_involved_early),
)


@dataclass(frozen=True)
class FindingsQuery:
    """The filters of a findings report; None means "no filter", a collection "any of"."""

    rules: frozenset[str] | None = None
    severities: frozenset[str] | None = None
    initiatives: frozenset[str] | None = None
    portfolios: frozenset[str] | None = None
    roles: frozenset[str] | None = None
    kpis: frozenset[str] | None = None
    include_closed: bool = False
    include_waived: bool = False
    as_of: date | None = None


@dataclass(frozen=True)
class FindingsReport:
    """`findings` are those shown: without the waived ones unless the query includes them.
    `waived` holds every finding an active waiver accepted, shown or not (with its waiver),
    so that a reader can tell "n waived" and why."""

    generated_at: datetime
    as_of: date
    findings: list[Finding]
    by_rule: dict[str, int]
    by_severity: dict[str, int]
    waived: list[Finding]

    @property
    def total(self) -> int:
        return len(self.findings)


def findings_report(
    session: Session, query: FindingsQuery, *, within: Collection[str] = RULE_CODES
) -> FindingsReport:
    """The findings of the enabled rules among `within`, filtered by `query`, less those an
    active waiver accepts (unless `include_waived`), sorted by severity, rule, initiative,
    component, capability and KPI.

    Rules switched off produce nothing; each finding carries its rule's current severity.
    A filter naming an initiative, role or KPI that does not exist is a 404 (NotFound): a
    typo must not pass for "no findings".
    """
    require_named_subjects(
        session, initiatives=query.initiatives, roles=query.roles, kpis=query.kpis
    )
    as_of = query.as_of or utcnow().date()
    scope = ReportScope(
        as_of=as_of,
        include_closed=query.include_closed,
        initiatives=query.initiatives,
        portfolios=query.portfolios,
    )
    states = rule_states(session)
    facts = PortfolioFacts(session, scope)
    findings: list[Finding] = []
    for check in CHECKS:
        state = states[check.code]
        if (
            check.code not in within
            or not state.enabled
            or (query.rules is not None and check.code not in query.rules)
            or (query.severities is not None and state.severity not in query.severities)
            or (scope.narrowed and not check.per_initiative)
        ):
            continue
        for finding in check.check(facts):
            if (query.roles is None or not query.roles.isdisjoint(finding.roles)) and (
                query.kpis is None or finding.kpi in query.kpis
            ):
                finding.severity = state.severity
                findings.append(finding)
    shown, waived = apply_waivers(
        findings, active_waivers(session, as_of), include_waived=query.include_waived
    )
    shown.sort(key=Finding.sort_key)
    waived.sort(key=Finding.sort_key)
    rule_counts = Counter(finding.rule for finding in shown)
    severity_counts = Counter(finding.severity for finding in shown)
    return FindingsReport(
        generated_at=utcnow(),
        as_of=as_of,
        findings=shown,
        by_rule={code: rule_counts[code] for code in RULE_CODES if code in within},
        by_severity={severity: severity_counts[severity] for severity in SEVERITIES},
        waived=waived,
    )


def apply_waivers(
    findings: Iterable[Finding],
    waivers: Mapping[Subject, AppliedWaiver],
    *,
    include_waived: bool,
) -> tuple[list[Finding], list[Finding]]:
    """THE waiver step of the findings pipeline (every report, the CLI gate, /metrics and the
    dashboard read findings through `findings_report`, hence through here).

    Answers the findings to show and the waived ones. A finding is waived when an active
    waiver names its rule and subject exactly; it then carries that waiver, and is shown
    only with `include_waived`.
    """
    shown: list[Finding] = []
    waived: list[Finding] = []
    for finding in findings:
        finding.waiver = waivers.get(finding.subject())
        if finding.waiver is not None:
            waived.append(finding)
            if not include_waived:
                continue
        shown.append(finding)
    return shown, waived
