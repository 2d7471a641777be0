"""Rule settings: which findings rules are on, and the severity their findings carry."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.core.pagination import PageParams, split_page
from app.core.preconditions import IfMatch
from app.db.base import utcnow
from app.db.writes import assign, insert_new
from app.rules.catalog import CATALOG, RULES_BY_CODE, Rule
from app.rules.models import RuleSetting
from app.rules.schemas import RuleSettingDocument


@dataclass(frozen=True)
class RuleState:
    """A catalog rule together with its current setting."""

    rule: Rule
    enabled: bool
    severity: str
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def code(self) -> str:
        return self.rule.code


def _state(rule: Rule, setting: RuleSetting | None) -> RuleState:
    if setting is None:  # the migration seeds every rule; this only guards a hand-edited table
        now = utcnow()
        return RuleState(rule, True, rule.default_severity, 1, now, now)
    return RuleState(
        rule,
        setting.enabled,
        setting.severity,
        setting.version,
        setting.created_at,
        setting.updated_at,
    )


def rule_states(session: Session) -> dict[str, RuleState]:
    """Every catalog rule with its setting, by code, in one query."""
    settings = {s.code: s for s in session.scalars(select(RuleSetting))}
    return {rule.code: _state(rule, settings.get(rule.code)) for rule in CATALOG}


def _catalog_rule(code: str) -> Rule:
    rule = RULES_BY_CODE.get(code.upper())
    if rule is None:
        known = ", ".join(sorted(RULES_BY_CODE))
        raise NotFound(f"No rule with code '{code}'; the rules are {known}")
    return rule


def list_rules(session: Session, page: PageParams) -> tuple[list[RuleState], str | None]:
    states = sorted(rule_states(session).values(), key=lambda state: state.code)
    if page.after is not None:
        states = [state for state in states if state.code > page.after]
    return split_page(states[: page.limit + 1], page, lambda state: state.code)


def get_rule(session: Session, code: str) -> RuleState:
    rule = _catalog_rule(code)
    return _state(rule, session.get(RuleSetting, rule.code))


def patch_rule(session: Session, code: str, patch: dict[str, Any], if_match: IfMatch) -> RuleState:
    """Apply a merge patch of `enabled` and `severity`; `None` restores the default."""
    rule = _catalog_rule(code)
    setting = session.get(RuleSetting, rule.code)
    if_match.check(setting.version if setting is not None else 1)
    if setting is None:
        setting = insert_new(
            session,
            RuleSetting(code=rule.code, enabled=True, severity=rule.default_severity),
            f"Rule {rule.code} was set up by another request meanwhile; retry",
        )
    values: dict[str, Any] = {}
    if "enabled" in patch:
        values["enabled"] = True if patch["enabled"] is None else patch["enabled"]
    if "severity" in patch:
        values["severity"] = patch["severity"] or rule.default_severity
    assign(setting, values)
    session.flush()
    return _state(rule, setting)


def apply_settings(session: Session, settings: Sequence[RuleSettingDocument]) -> tuple[int, int]:
    """Make each named rule's settings what the document says (an import); how many rules
    changed and how many were already so. Audited like PATCH /rules/{code} (the same write)."""
    changed = unchanged = 0
    states = rule_states(session)
    for setting in settings:
        rule = RULES_BY_CODE[setting.code]
        wanted = {"enabled": setting.enabled, "severity": setting.severity or rule.default_severity}
        state = states[setting.code]
        if (state.enabled, state.severity) == (wanted["enabled"], wanted["severity"]):
            unchanged += 1
            continue
        patch_rule(session, setting.code, wanted, IfMatch(None))
        changed += 1
    return changed, unchanged


def changed_settings(session: Session) -> list[RuleSettingDocument]:
    """The rules whose settings differ from their defaults, by code (the export)."""
    return [
        RuleSettingDocument(code=state.code, enabled=state.enabled, severity=state.severity)
        for state in sorted(rule_states(session).values(), key=lambda state: state.code)
        if not state.enabled or state.severity != RULES_BY_CODE[state.code].default_severity
    ]
