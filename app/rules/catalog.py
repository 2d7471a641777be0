"""The findings rules the service knows: each listed once, with its default severity.

The PMO may switch a rule off or change its severity (`rule_setting`); what a rule looks
for is fixed here and in app/reports/findings.py.
"""

from dataclasses import dataclass
from typing import Literal, get_args

from typing_extensions import TypeAliasType

Severity = TypeAliasType("Severity", Literal["high", "medium", "low"])
SEVERITIES: tuple[Severity, ...] = get_args(Severity.__value__)
SEVERITY_RANK: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}

RuleCode = TypeAliasType(
    "RuleCode",
    Literal[
        "UNOWNED_COMPONENT",
        "MULTIPLE_ACCOUNTABLE",
        "NO_RESPONSIBLE",
        "UNSPONSORED_INITIATIVE",
        "SILOED_INITIATIVE",
        "CAPABILITY_OVERLAP",
        "OWNER_DRIFT",
        "NO_JOINT_KPI",
        "KPI_OFF_TRACK",
        "GOVERNANCE_REVIEW_OVERDUE",
        "DISPUTED_CELL",
        "UNAGREED_CELL",
        "STALE_AGREEMENT",
        "IT_NOT_INVOLVED_EARLY",
        "BUSINESS_NOT_INVOLVED_EARLY",
    ],
)


@dataclass(frozen=True)
class Rule:
    code: RuleCode
    default_severity: Severity
    title: str
    description: str


CATALOG: tuple[Rule, ...] = (
    Rule(
        "UNOWNED_COMPONENT",
        "high",
        "Unowned component",
        "A component nobody is accountable for (no A or AR): when it slips, no executive "
        "answers for it.",
    ),
    Rule(
        "MULTIPLE_ACCOUNTABLE",
        "high",
        "More than one accountable",
        "A component two or more executives are accountable for: decisions stall or "
        "contradict each other; exactly one should answer for it.",
    ),
    Rule(
        "NO_RESPONSIBLE",
        "medium",
        "Nobody responsible",
        "A component nobody is responsible for (no R or AR): someone answers for it, "
        "but no one is named to do the work.",
    ),
    Rule(
        "UNSPONSORED_INITIATIVE",
        "high",
        "No sponsor",
        "An initiative without an executive sponsor: nobody champions it, funds it or unblocks it.",
    ),
    Rule(
        "SILOED_INITIATIVE",
        "medium",
        "Silo",
        "An initiative whose RACI names a single executive across all its components: no "
        "partner is even consulted or informed, so marketing and IT work apart.",
    ),
    Rule(
        "CAPABILITY_OVERLAP",
        "medium",
        "Capability overlap",
        "The same capability is built in two or more live initiatives with different "
        "executives accountable for it: duplicated effort and competing platforms.",
    ),
    Rule(
        "OWNER_DRIFT",
        "low",
        "Owner drift",
        "A component of a capability whose agreed owner is not accountable for it: the "
        "practice has drifted from what the leaders agreed.",
    ),
    Rule(
        "NO_JOINT_KPI",
        "medium",
        "No joint KPI",
        "An initiative served by no KPI owned jointly by two or more executives: success "
        "is measured one-sidedly.",
    ),
    Rule(
        "KPI_OFF_TRACK",
        "medium",
        "KPI off track",
        "A KPI whose latest measurement is behind plan (or whose target date passed "
        "unmet): its owners should review the plan.",
    ),
    Rule(
        "GOVERNANCE_REVIEW_OVERDUE",
        "high",
        "Governance review overdue",
        "A governance review, opened when a joint KPI fell off track, still undecided after "
        "its due date: the leaders have not yet said whether the governance model should "
        "change.",
    ),
    Rule(
        "DISPUTED_CELL",
        "high",
        "Disputed RACI cell",
        "A RACI cell the role it names disputes: the matrix says something that executive "
        "does not accept, so who owns the component is not settled.",
    ),
    Rule(
        "UNAGREED_CELL",
        "low",
        "RACI cell not agreed",
        "A RACI cell still proposed `agreement_grace_days` (see /settings) after its letters "
        "were set: nobody acting for the role has accepted it.",
    ),
    Rule(
        "STALE_AGREEMENT",
        "low",
        "Agreement to re-confirm",
        "A RACI cell agreed more than `reconfirm_days` (see /settings) ago: confirm that the "
        "role still holds it.",
    ),
    Rule(
        "IT_NOT_INVOLVED_EARLY",
        "medium",
        "IT not involved early",
        "A proposed or planned initiative that needs technology (its kind is chatbot, iot, "
        "analytics, app or platform, or a component's capability is in the technology or "
        "data domain) where no role of function `technology` is responsible, accountable or "
        "consulted for any component: involve IT from the very start, not after the buying.",
    ),
    Rule(
        "BUSINESS_NOT_INVOLVED_EARLY",
        "medium",
        "Business not involved early",
        "A proposed or planned initiative of the IT portfolio (`it`) where no role of "
        "function `marketing` is responsible, accountable or consulted for any component: "
        "IT buys big and the business finds it does not meet its needs.",
    ),
)

RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in CATALOG}
RULE_CODES: tuple[RuleCode, ...] = get_args(RuleCode.__value__)

GAP_RULES: tuple[RuleCode, ...] = (
    "UNOWNED_COMPONENT",
    "NO_RESPONSIBLE",
    "UNSPONSORED_INITIATIVE",
    "NO_JOINT_KPI",
)
OVERLAP_RULES: tuple[RuleCode, ...] = ("MULTIPLE_ACCOUNTABLE", "CAPABILITY_OVERLAP", "OWNER_DRIFT")
