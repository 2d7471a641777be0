"""A realistic, deterministic portfolio of N initiatives, as plain rows per table.

About 5 components per initiative and 4 RACI cells per component (so ~50,000 components
and ~200,000 cells at N=10,000), N/4 capabilities (most with an agreed owner), N/4 KPIs
with owners, initiatives and monthly measurements, mixed statuses with most initiatives
live. About one component in ten carries a finding (unowned, two accountable, no
responsible, owner drift); about 1% of the initiatives are siloed and 3% unsponsored.

Rows are tuples in the column order of `COLUMNS`, with explicit ids, so that they can be
bulk inserted (executemany, COPY) without reading anything back. The same portfolio can
also be given as a `POST /imports` document (`import_document`).
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
# Cells are proposed when the portfolio is loaded, as an import makes them: within their
# agreement grace period whenever the benchmark runs (no UNAGREED_CELL flood).
LOADED = datetime.now(UTC)

SEEDED_ROLES = ("CMO", "CIO", "CDO", "CEO")
EXTRA_ROLES = (
    ("CTO", "Chief Technology Officer"),
    ("COO", "Chief Operating Officer"),
    ("CFO", "Chief Financial Officer"),
    ("CHRO", "Chief Human Resources Officer"),
)
ROLES = SEEDED_ROLES + tuple(code for code, _ in EXTRA_ROLES)

KINDS = ("chatbot", "iot", "analytics", "app", "campaign", "platform", "other")
PORTFOLIOS = ("marketing", "it", "digital", "joint")
DOMAINS = ("marketing", "technology", "data", "experience", "operations")
STATUSES = ("proposed", "planned", "active", "on_hold", "done", "cancelled")
STATUS_WEIGHTS = (10, 15, 45, 8, 15, 7)  # 78% live
TAGS = ("customer-experience", "cost", "growth", "compliance", "data", "mobile", "ai", "b2b")

ADJECTIVES = (
    "Customer",
    "Smart",
    "Unified",
    "Predictive",
    "Omnichannel",
    "Connected",
    "Self-service",
    "Personalised",
    "Real-time",
    "Partner",
)
SUBJECTS = {
    "chatbot": ("support chatbot", "sales assistant", "HR helpdesk bot"),
    "iot": ("fleet telemetry", "smart store sensors", "connected packaging"),
    "analytics": ("churn analytics", "customer 360", "marketing mix model"),
    "app": ("loyalty app", "field service app", "self-care portal"),
    "campaign": ("spring campaign", "product launch", "retention campaign"),
    "platform": ("data platform", "API gateway", "content hub"),
    "other": ("process redesign", "vendor consolidation", "pilot"),
}
COMPONENT_NAMES = (
    "NLU engine",
    "Conversation design",
    "CRM data feed",
    "Consent management",
    "Analytics dashboard",
    "Device firmware",
    "Cloud ingestion",
    "Campaign creative",
    "Audience segmentation",
    "Mobile front end",
    "Identity and access",
    "Data quality checks",
    "Content workflow",
    "Payment integration",
    "Monitoring and alerting",
)
CAPABILITY_WORDS = (
    "customer data platform",
    "conversational AI",
    "campaign analytics",
    "marketing automation",
    "data governance",
    "identity management",
    "IoT connectivity",
    "content management",
    "experimentation",
    "personalisation",
)
DOMAIN_OWNERS = {
    "marketing": "CMO",
    "technology": "CIO",
    "data": "CDO",
    "experience": "CMO",
    "operations": "COO",
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "role": ("code", "name", "description", "version", "created_at", "updated_at"),
    "capability": (
        "id",
        "key",
        "name",
        "domain",
        "description",
        "agreed_owner",
        "rationale",
        "version",
        "created_at",
        "updated_at",
    ),
    "initiative": (
        "id",
        "key",
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
        "version",
        "created_at",
        "updated_at",
    ),
    "initiative_tag": ("initiative_id", "tag"),
    "component": (
        "id",
        "initiative_id",
        "key",
        "name",
        "capability",
        "description",
        "version",
        "created_at",
        "updated_at",
    ),
    "raci_cell": (
        "component_id",
        "role",
        "raci",
        "rationale",
        "version",
        "created_at",
        "updated_at",
        "agreement",
        "letters_set_at",
    ),
    "kpi": (
        "id",
        "key",
        "name",
        "unit",
        "direction",
        "baseline",
        "baseline_date",
        "target",
        "target_date",
        "version",
        "created_at",
        "updated_at",
    ),
    "kpi_owner": ("kpi_id", "role"),
    "kpi_initiative": ("kpi_id", "initiative_id"),
    "measurement": (
        "id",
        "kpi_id",
        "value",
        "measured_at",
        "note",
        "version",
        "created_at",
        "updated_at",
    ),
}
# Parents before children.
LOAD_ORDER = tuple(COLUMNS)
# Tables whose ids the generator chooses (their sequences are moved past them on PostgreSQL).
ID_TABLES = ("capability", "initiative", "component", "kpi", "measurement")

Row = tuple[Any, ...]

# Initiatives present, row for row, in the portfolio of every scale (after the N others).
PROBES = ("probe-01", "probe-02", "probe-03", "probe-04", "probe-05")
PROBE_SEED_OFFSET = 99


@dataclass
class Portfolio:
    scale: int
    rows: dict[str, list[Row]] = field(default_factory=lambda: {name: [] for name in COLUMNS})

    def count(self, table: str) -> int:
        return len(self.rows[table])

    def dicts(self, table: str) -> list[dict[str, Any]]:
        columns = COLUMNS[table]
        return [dict(zip(columns, row, strict=True)) for row in self.rows[table]]


def _stamp() -> tuple[int, datetime, datetime]:
    return (1, NOW, NOW)


def _cells(
    rng: random.Random, sponsor: str | None, agreed_owner: str | None, silo: str | None
) -> list[tuple[str, str]]:
    """The (role, letter) cells of one component: healthy nine times in ten."""
    if silo is not None:
        return [(silo, "AR")]
    roles = rng.sample(ROLES, rng.randint(3, 4))
    owner = agreed_owner or sponsor or roles[0]
    if owner in roles:
        roles.remove(owner)
    others = roles
    draw = rng.random()
    if draw < 0.025:  # UNOWNED_COMPONENT (and, for a capability with an owner, drift)
        return [(others[0], "R"), *((role, rng.choice("CI")) for role in others[1:])]
    if draw < 0.05:  # MULTIPLE_ACCOUNTABLE
        return [(owner, "A"), (others[0], "A"), (others[1], "R")] + [
            (role, "I") for role in others[2:]
        ]
    if draw < 0.075:  # NO_RESPONSIBLE
        return [(owner, "A"), *((role, rng.choice("CI")) for role in others)]
    if draw < 0.10 and agreed_owner is not None:  # OWNER_DRIFT: someone else accountable
        return [(others[0], "AR"), (owner, "C"), *((role, "I") for role in others[1:])]
    if rng.random() < 0.3:
        return [(owner, "AR"), *((role, rng.choice("CI")) for role in others)]
    return [(owner, "A"), (others[0], "R"), *((role, rng.choice("CCI")) for role in others[1:])]


def generate(scale: int, *, seed: int = 20261123, with_kpis: bool = True) -> Portfolio:
    """The portfolio of `scale` initiatives; the same `seed` gives the same rows."""
    rng = random.Random(seed)
    p = Portfolio(scale)
    rows = p.rows
    stamp = _stamp()

    for code, name in EXTRA_ROLES:
        rows["role"].append((code, name, f"{name}: accountable for their function.", *stamp))

    capability_count = max(10, scale // 4)
    capabilities: list[tuple[str, str | None]] = []
    for cid in range(1, capability_count + 1):
        domain = DOMAINS[cid % len(DOMAINS)]
        words = CAPABILITY_WORDS[cid % len(CAPABILITY_WORDS)]
        key = f"cap-{cid:06d}"
        owner = DOMAIN_OWNERS[domain] if rng.random() < 0.8 else None
        rows["capability"].append(
            (
                cid,
                key,
                f"{words.capitalize()} {cid}",
                domain,
                f"Shared {words} capability used across initiatives.",
                owner,
                f"The {owner} runs {domain} capabilities." if owner else None,
                *stamp,
            )
        )
        capabilities.append((key, owner))

    component_id = 0
    for iid in range(1, scale + 1):
        component_id = _initiative(rng, p, iid, f"ini-{iid:06d}", capabilities, component_id)
    # The probes: the same few initiatives, row for row, at every scale (their own random
    # stream, and capabilities among the first ten, which are the same at every scale), so
    # that an operation on one initiative can be timed on N and on 10N.
    probe_rng = random.Random(seed + PROBE_SEED_OFFSET)
    for number, key in enumerate(PROBES, start=1):
        component_id = _initiative(
            probe_rng,
            p,
            scale + number,
            key,
            capabilities[:10],
            component_id,
            status="active",
            label=number,
        )

    if with_kpis:
        _kpis(rng, p)
    return p


def _initiative(
    rng: random.Random,
    p: Portfolio,
    iid: int,
    key: str,
    capabilities: list[tuple[str, str | None]],
    component_id: int,
    *,
    status: str | None = None,
    label: int | None = None,
) -> int:
    """One initiative's rows (its tags, components and cells); the last component id used.
    `label` (default: the id) chooses its kind and portfolio and numbers its name."""
    rows = p.rows
    stamp = _stamp()
    label = iid if label is None else label
    kind = KINDS[label % len(KINDS)]
    drawn = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
    status = status or drawn
    sponsor = None if rng.random() < 0.03 else rng.choice(ROLES[:4])
    subject = rng.choice(SUBJECTS[kind])
    begins = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
    name = f"{rng.choice(ADJECTIVES)} {subject} {label}"
    rows["initiative"].append(
        (
            iid,
            key,
            name,
            kind,
            status,
            PORTFOLIOS[label % len(PORTFOLIOS)],
            sponsor,
            f"Improve {subject} outcomes for customers and staff.",
            f"Customers use the {subject} to get answers without waiting.",
            "Feasible with the current platform; needs data from the CRM.",
            rng.randint(1, 5),
            begins,
            begins + timedelta(days=rng.randint(30, 720)),
            f"PMO-{label}",
            *stamp,
        )
    )
    for tag in rng.sample(TAGS, rng.randint(0, 2)):
        rows["initiative_tag"].append((iid, tag))
    silo = rng.choice(ROLES) if rng.random() < 0.01 else None
    for number in range(1, rng.randint(3, 7) + 1):
        component_id += 1
        capability, agreed_owner = rng.choice(capabilities) if rng.random() < 0.6 else (None, None)
        component_name = rng.choice(COMPONENT_NAMES)
        rows["component"].append(
            (
                component_id,
                iid,
                f"c{number}",
                component_name,
                capability,
                f"{component_name} of {name}.",
                *stamp,
            )
        )
        for role, letter in _cells(rng, sponsor, agreed_owner, silo):
            rows["raci_cell"].append((component_id, role, letter, None, *stamp, "proposed", LOADED))
    return component_id


def _kpis(rng: random.Random, p: Portfolio) -> None:
    """N/4 KPIs, each serving a block of four initiatives; nine in ten are joint."""
    rows = p.rows
    stamp = _stamp()
    measurement_id = 0
    for kid in range(1, max(2, p.scale // 4) + 1):
        direction = "increase" if rng.random() < 0.7 else "decrease"
        baseline = float(rng.randint(20, 60))
        target = baseline + 20 if direction == "increase" else baseline - 15
        baseline_date = date(2026, 1, 1)
        target_date = date(2026, 12, 31) if rng.random() < 0.85 else date(2026, 6, 30)
        rows["kpi"].append(
            (
                kid,
                f"kpi-{kid:06d}",
                f"KPI {kid}: {rng.choice(('CSAT', 'NPS', 'conversion', 'cost per contact'))}",
                rng.choice(("%", "points", "EUR", None)),
                direction,
                baseline,
                baseline_date,
                target,
                target_date,
                *stamp,
            )
        )
        owners = 1 if rng.random() < 0.1 else rng.choice((2, 2, 3))
        for role in rng.sample(ROLES[:4], owners):
            rows["kpi_owner"].append((kid, role))
        served = {i for i in range(4 * kid - 3, 4 * kid + 1) if i <= p.scale}
        if rng.random() < 0.2:
            served.add(rng.randint(1, p.scale))
        for iid in sorted(served):
            rows["kpi_initiative"].append((kid, iid))
        pace = rng.uniform(0.5, 1.3)
        for month in range(1, rng.randint(0, 9) + 1):
            measurement_id += 1
            progress = (target - baseline) * pace * month / 12
            rows["measurement"].append(
                (
                    measurement_id,
                    kid,
                    round(baseline + progress + rng.uniform(-2, 2), 2),
                    datetime(2026, month + 1, 1, tzinfo=UTC),
                    None,
                    1,
                    NOW,
                    NOW,
                )
            )


def import_document(p: Portfolio) -> dict[str, Any]:
    """The portfolio's roles, capabilities and initiatives as a `POST /imports` document."""
    cap_cols = COLUMNS["capability"]
    capabilities = [
        {
            name: row[cap_cols.index(name)]
            for name in ("key", "name", "domain", "description", "agreed_owner", "rationale")
        }
        for row in p.rows["capability"]
    ]
    tags: dict[int, list[str]] = {}
    for iid, tag in p.rows["initiative_tag"]:
        tags.setdefault(iid, []).append(tag)
    cells: dict[int, dict[str, str]] = {}
    for component_id, role, letter, *_ in p.rows["raci_cell"]:
        cells.setdefault(component_id, {})[role] = letter
    components: dict[int, list[dict[str, Any]]] = {}
    for cid, iid, key, name, capability, description, *_ in p.rows["component"]:
        components.setdefault(iid, []).append(
            {
                "key": key,
                "name": name,
                "capability": capability,
                "description": description,
                "raci": cells.get(cid, {}),
            }
        )
    ini_cols = COLUMNS["initiative"]
    fields = (
        "key",
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
    initiatives = []
    for row in p.rows["initiative"]:
        document = {name: row[ini_cols.index(name)] for name in fields}
        document["start_date"] = document["start_date"].isoformat()
        document["end_date"] = document["end_date"].isoformat()
        document["tags"] = sorted(tags.get(row[0], []))
        document["components"] = components.get(row[0], [])
        initiatives.append(document)
    return {
        "roles": [
            {"code": code, "name": name, "description": description}
            for code, name, description, *_ in p.rows["role"]
        ],
        "capabilities": capabilities,
        "initiatives": initiatives,
    }


# --- the audit trail -------------------------------------------------------------------

AUDIT_COLUMNS = ("id", "at", "actor", "action", "resource_type", "resource_key", "before", "after")
AUDIT_START = datetime(2026, 10, 1, tzinfo=UTC)
AUDIT_ACTOR = "bench-loader"
_COMPACT = (",", ":")


def _state_json(state: dict[str, Any]) -> str:
    import json

    return json.dumps(state, separators=_COMPACT)


def audit_rows(p: Portfolio, total: int = 0) -> Iterator[Row]:
    """The audit trail the API would have written creating the portfolio's initiatives,
    components and RACI cells (the app's public states, as JSON text), then, while fewer
    than `total` entries were written, updates of cells' rationale (their letters stay, so
    the matrix as of any later moment is the portfolio's). Generated lazily: 26 entries per
    initiative, ~2.6 million at 100,000 initiatives. Every entry is before NOW."""
    ini_cols = COLUMNS["initiative"]
    fields = (
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
    positions = [ini_cols.index(name) for name in fields]
    tags: dict[int, list[str]] = {}
    for iid, tag in p.rows["initiative_tag"]:
        tags.setdefault(iid, []).append(tag)
    keys = {row[0]: row[1] for row in p.rows["initiative"]}
    components = {row[0]: (keys[row[1]], row[2]) for row in p.rows["component"]}
    entry_id = 0

    def entry(action: str, kind: str, key: str, before: str | None, after: str | None) -> Row:
        nonlocal entry_id
        entry_id += 1
        at = AUDIT_START + timedelta(milliseconds=100 * entry_id)
        return (entry_id, at, AUDIT_ACTOR, action, kind, key, before, after)

    for row in p.rows["initiative"]:
        state: dict[str, Any] = {"key": row[1]}
        for name, index in zip(fields, positions, strict=True):
            value = row[index]
            state[name] = value.isoformat() if isinstance(value, date) else value
        state["tags"] = sorted(tags.get(row[0], []))
        yield entry("create", "initiative", row[1], None, _state_json(state))
    for cid, _iid, key, name, capability, description, *_ in p.rows["component"]:
        initiative = components[cid][0]
        state = {
            "initiative": initiative,
            "key": key,
            "name": name,
            "capability": capability,
            "description": description,
        }
        yield entry("create", "component", f"{initiative}/{key}", None, _state_json(state))

    def cell_state(cell: Row, rationale: str | None) -> dict[str, Any]:
        initiative, component = components[cell[0]]
        return {
            "initiative": initiative,
            "component": component,
            "role": cell[1],
            "raci": cell[2],
            "rationale": rationale,
        }

    def cell_key(cell: Row) -> str:
        initiative, component = components[cell[0]]
        return f"{initiative}/{component}/{cell[1]}"

    cells = p.rows["raci_cell"]
    for cell in cells:
        yield entry(
            "create", "raci_cell", cell_key(cell), None, _state_json(cell_state(cell, None))
        )
    reviewed = "Reviewed in the quarterly RACI review."
    index = 0
    while entry_id < total and cells:
        cell = cells[index % len(cells)]
        index += 1
        yield entry(
            "update",
            "raci_cell",
            cell_key(cell),
            _state_json(cell_state(cell, None)),
            _state_json(cell_state(cell, reviewed)),
        )
