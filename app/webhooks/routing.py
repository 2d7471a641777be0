"""The event catalog and who receives what: routing by RACI letter (issue 21).

An endpoint registered without roles receives every event of the types it subscribed to.
An endpoint bound to roles receives an event when one of its roles holds, on the event's
subject, the letter the event's kind calls for:

| kind | events | letter | who |
|---|---|---|---|
| escalation | `finding.opened`, `finding.resolved`, `agreement.disputed`, `review.overdue` | `A` | the Accountable role |
| proposal | `agreement.requested`, `review.opened` | `C` | the Consulted roles, before the change |
| notice | `cell.changed`, `kpi.status_changed` | `I` | the Informed roles, after the fact |

A subject's letters by role are the cells of the component an event is about (for
`cell.changed`, the component's cells after the change, with the changed role's letters
before it added, so that a role taken off a cell hears of it); for a KPI, its owners hold
`A` and every role holds the letters it holds on the components of the initiatives the KPI
serves. `finding.resolved` follows `finding.opened` to whom the escalation went.
"""

from collections.abc import Mapping
from typing import Literal, get_args

from typing_extensions import TypeAliasType

EventType = TypeAliasType(
    "EventType",
    Literal[
        "cell.changed",
        "kpi.status_changed",
        "finding.opened",
        "finding.resolved",
        "agreement.requested",
        "agreement.disputed",
        "review.opened",
        "review.overdue",
    ],
)
EVENT_TYPES: tuple[str, ...] = get_args(EventType.__value__)

Kind = Literal["escalation", "proposal", "notice"]

KIND_LETTER: dict[Kind, str] = {"escalation": "A", "proposal": "C", "notice": "I"}
"""The letter a role must hold on the subject to receive an event of each kind."""

EVENT_KINDS: dict[str, Kind] = {
    "finding.opened": "escalation",
    "finding.resolved": "escalation",
    "agreement.disputed": "escalation",
    "review.overdue": "escalation",
    "agreement.requested": "proposal",
    "review.opened": "proposal",
    "cell.changed": "notice",
    "kpi.status_changed": "notice",
}

EVENT_DESCRIPTIONS: dict[str, str] = {
    "cell.changed": "A RACI cell was created, changed or removed (before and after letters).",
    "kpi.status_changed": "A KPI's status changed (e.g. on_track -> off_track).",
    "finding.opened": "A finding appeared.",
    "finding.resolved": "A finding went away.",
    "agreement.requested": "A proposed cell awaits the agreement of the roles consulted.",
    "agreement.disputed": "A role disputed a proposed cell.",
    "review.opened": "A governance review was opened.",
    "review.overdue": "A governance review passed its due date.",
}

assert set(EVENT_KINDS) == set(EVENT_TYPES) == set(EVENT_DESCRIPTIONS)


def wanting_roles(event_type: str, letters_by_role: Mapping[str, str]) -> frozenset[str]:
    """The roles that want an event of `event_type` about a subject whose cells are
    `letters_by_role` (role code -> canonical letters, e.g. `{"CIO": "AR", "CMO": "CI"}`).

    Pure: the table in this module's docstring. An unknown event type wants no role.
    """
    kind = EVENT_KINDS.get(event_type)
    if kind is None:
        return frozenset()
    letter = KIND_LETTER[kind]
    return frozenset(role for role, letters in letters_by_role.items() if letter in letters)


def receives(
    event_type: str,
    endpoint_events: list[str],
    endpoint_roles: list[str],
    wanting: frozenset[str],
) -> bool:
    """Whether an endpoint subscribed to `endpoint_events`, bound to `endpoint_roles` (empty:
    unbound), receives an event of `event_type` wanted by the roles `wanting`."""
    if event_type not in endpoint_events:
        return False
    return not endpoint_roles or not wanting.isdisjoint(endpoint_roles)
