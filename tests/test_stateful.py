"""A hypothesis state machine driving the domain through HTTP in random order.

Rules create, replace, patch and delete roles, capabilities, initiatives (with nested
components and cells), single cells, KPIs and measurements, and push bulk imports, over a
small pool of keys so that they collide. After every step:

- versions only grow, per resource key while it exists;
- each initiative's RACI matrix agrees with its cells read one by one and with
  `?expand=components`;
- the findings equal the reference implementation's over the exported portfolio;
- no answer was ever a 5xx.

A rule also exports the portfolio, wipes it, imports the export and checks that the export
and the findings are the same again.
"""

from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from app.db.engine import Database
from tests import database as testdb
from tests.conftest import _key
from tests.database import wipe_portfolio
from tests.reference_findings import reference_findings

ROLES = ("CMO", "CIO", "CDO", "CEO", "CFO")  # the first four are seeded
CAPABILITIES = ("cap-a", "cap-b")
INITIATIVES = ("init-a", "init-b", "init-c")
COMPONENTS = ("c1", "c2", "c3")
KPIS = ("kpi-a", "kpi-b")
LETTERS = ("R", "A", "C", "I", "AR", "a/r", "ra")
STATUSES = ("proposed", "active", "on_hold", "done", "cancelled")
AS_OF = date(2026, 6, 30)

roles = st.sampled_from(ROLES)
raci_maps = st.dictionaries(roles, st.sampled_from(LETTERS), max_size=3)


@st.composite
def components(draw: st.DrawFn) -> list[dict[str, Any]]:
    keys = draw(st.lists(st.sampled_from(COMPONENTS), max_size=3, unique=True))
    return [
        {
            "key": key,
            "name": f"Component {key}",
            "capability": draw(st.none() | st.sampled_from(CAPABILITIES)),
            "raci": draw(raci_maps),
        }
        for key in keys
    ]


@st.composite
def initiative_documents(draw: st.DrawFn, key: str | None = None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "key": key or draw(st.sampled_from(INITIATIVES)),
        "name": draw(st.sampled_from(["Chatbot", "IoT fleet", "Analytics"])),
        "status": draw(st.sampled_from(STATUSES)),
        "sponsor": draw(st.none() | roles),
    }
    if draw(st.booleans()):
        document["components"] = draw(components())
    return document


@st.composite
def kpi_documents(draw: st.DrawFn) -> dict[str, Any]:
    baseline = draw(st.sampled_from([0, 50, 100]))
    return {
        "key": draw(st.sampled_from(KPIS)),
        "name": "A KPI",
        "direction": draw(st.sampled_from(["increase", "decrease"])),
        "baseline": baseline,
        "baseline_date": "2026-01-01",
        "target": draw(st.sampled_from([0, 50, 100])),
        "target_date": "2026-12-31",
        "owners": draw(st.lists(roles, min_size=1, max_size=3, unique=True)),
        "initiatives": draw(st.lists(st.sampled_from(INITIATIVES[:2]), max_size=2, unique=True)),
    }


class Portfolio(RuleBasedStateMachine):
    client: TestClient
    database: Database

    def __init__(self) -> None:
        super().__init__()
        # (kind, key) -> the version last seen, for what exists now.
        self.versions: dict[tuple[str, str], int] = {}

    # -- HTTP ------------------------------------------------------------------------------

    def call(self, method: str, path: str, *, ok: tuple[int, ...], **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code < 500, f"{method} {path}: {response.text}"
        assert response.status_code in ok, f"{method} {path}: {response.text}"
        if response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, ok=(200,), params=params).json()

    # -- rules -----------------------------------------------------------------------------

    @rule(code=roles, name=st.sampled_from(["Chief", "Officer"]))
    def put_role(self, code: str, name: str) -> None:
        self.call("PUT", f"/roles/{code}", ok=(200, 201), json={"name": name})

    @rule(code=roles, description=st.none() | st.just("Owns it"))
    def patch_role(self, code: str, description: str | None) -> None:
        self.call("PATCH", f"/roles/{code}", ok=(200, 404), json={"description": description})

    @initialize(
        initiatives=st.tuples(*(initiative_documents(key) for key in INITIATIVES[:2])),
        kpis=st.lists(kpi_documents(), max_size=2, unique_by=lambda d: d["key"]),
    )
    def start_with_a_portfolio(
        self, initiatives: tuple[dict[str, Any], ...], kpis: list[dict[str, Any]]
    ) -> None:
        document = {
            "roles": [{"code": "CFO", "name": "Chief Financial Officer"}],
            "capabilities": [
                {"key": "cap-a", "name": "Capability A", "agreed_owner": "CIO"},
                {"key": "cap-b", "name": "Capability B"},
            ],
            "initiatives": list(initiatives),
            "kpis": kpis,
        }
        self.call("POST", "/imports", ok=(200,), json=document)

    @rule(code=st.sampled_from(("CFO", "CEO")))
    def delete_role(self, code: str) -> None:
        self.call("DELETE", f"/roles/{code}", ok=(204, 404, 409))

    @rule(key=st.sampled_from(CAPABILITIES), owner=st.none() | roles)
    def put_capability(self, key: str, owner: str | None) -> None:
        body = {"name": f"Capability {key}", "agreed_owner": owner, "rationale": "agreed"}
        self.call("PUT", f"/capabilities/{key}", ok=(200, 201, 422), json=body)

    @rule(key=st.sampled_from(CAPABILITIES))
    def delete_capability(self, key: str) -> None:
        self.call("DELETE", f"/capabilities/{key}", ok=(204, 404, 409))

    @rule(document=initiative_documents())
    def put_initiative(self, document: dict[str, Any]) -> None:
        key = document["key"]
        self.call("PUT", f"/initiatives/{key}", ok=(200, 201, 422), json=document)

    @rule(key=st.sampled_from(INITIATIVES), status=st.sampled_from(STATUSES), sponsor=roles)
    def patch_initiative(self, key: str, status: str, sponsor: str) -> None:
        body = {"status": status, "sponsor": sponsor}
        self.call("PATCH", f"/initiatives/{key}", ok=(200, 404, 422), json=body)

    @rule(key=st.sampled_from(INITIATIVES))
    def delete_initiative(self, key: str) -> None:
        self.call("DELETE", f"/initiatives/{key}", ok=(204, 404, 409))

    @rule(
        key=st.sampled_from(INITIATIVES),
        component=st.sampled_from(COMPONENTS),
        capability=st.none() | st.sampled_from(CAPABILITIES),
    )
    def put_component(self, key: str, component: str, capability: str | None) -> None:
        body = {"name": f"Component {component}", "capability": capability}
        path = f"/initiatives/{key}/components/{component}"
        self.call("PUT", path, ok=(200, 201, 404, 422), json=body)

    @rule(key=st.sampled_from(INITIATIVES), component=st.sampled_from(COMPONENTS))
    def delete_component(self, key: str, component: str) -> None:
        self.call("DELETE", f"/initiatives/{key}/components/{component}", ok=(204, 404))

    @rule(
        key=st.sampled_from(INITIATIVES),
        component=st.sampled_from(COMPONENTS),
        role=roles,
        letter=st.sampled_from(LETTERS),
    )
    def put_cell(self, key: str, component: str, role: str, letter: str) -> None:
        path = f"/initiatives/{key}/components/{component}/raci/{role.lower()}"
        self.call("PUT", path, ok=(200, 201, 404), json={"raci": letter})

    @rule(key=st.sampled_from(INITIATIVES), component=st.sampled_from(COMPONENTS), role=roles)
    def delete_cell(self, key: str, component: str, role: str) -> None:
        path = f"/initiatives/{key}/components/{component}/raci/{role}"
        self.call("DELETE", path, ok=(204, 404))

    @rule(document=kpi_documents())
    def put_kpi(self, document: dict[str, Any]) -> None:
        self.call("PUT", f"/kpis/{document['key']}", ok=(200, 201, 422), json=document)

    @rule(key=st.sampled_from(KPIS), owners=st.lists(roles, min_size=1, max_size=2, unique=True))
    def patch_kpi(self, key: str, owners: list[str]) -> None:
        self.call("PATCH", f"/kpis/{key}", ok=(200, 404, 422), json={"owners": owners})

    @rule(key=st.sampled_from(KPIS))
    def delete_kpi(self, key: str) -> None:
        self.call("DELETE", f"/kpis/{key}", ok=(204, 404))

    @rule(
        key=st.sampled_from(KPIS),
        month=st.integers(1, 12),
        value=st.sampled_from([0, 25, 50, 75, 100]),
    )
    def measure(self, key: str, month: int, value: int) -> None:
        body = {"value": value, "measured_at": f"2026-{month:02d}-01T00:00:00Z"}
        self.call("POST", f"/kpis/{key}/measurements", ok=(200, 201, 404, 409), json=body)

    @rule(
        capabilities=st.lists(st.sampled_from(CAPABILITIES), max_size=2, unique=True),
        initiatives=st.lists(initiative_documents(), max_size=2, unique_by=lambda d: d["key"]),
        kpis=st.lists(kpi_documents(), max_size=1),
    )
    def import_document(
        self,
        capabilities: list[str],
        initiatives: list[dict[str, Any]],
        kpis: list[dict[str, Any]],
    ) -> None:
        document = {
            "capabilities": [{"key": key, "name": f"Capability {key}"} for key in capabilities],
            "initiatives": initiatives,
            "kpis": kpis,
        }
        self.call("POST", "/imports", ok=(200, 422), json=document)

    @rule()
    def export_wipe_import(self) -> None:
        """Export, empty the portfolio, import the export: the same export, the same findings."""
        before = self.get("/export")
        findings = self.findings()
        wipe_portfolio(self.database.engine)
        self.call("POST", "/imports", ok=(200,), json=before)
        assert self.get("/export") == before
        assert self.findings() == findings
        # A re-created resource starts again at version 1 (roles are kept).
        self.versions = {k: v for k, v in self.versions.items() if k[0] == "role"}

    # -- invariants ------------------------------------------------------------------------

    def findings(self) -> set[tuple[Any, ...]]:
        report = self.get("/reports/findings", as_of=AS_OF.isoformat())
        assert report["summary"]["total"] == len(report["findings"])
        fields = ("rule", "severity", "initiative", "component", "capability", "kpi")
        return {(*(f[name] for name in fields), tuple(f["roles"])) for f in report["findings"]}

    def everything(self, path: str) -> list[dict[str, Any]]:
        page = self.get(path, limit=500)
        assert page["next_cursor"] is None
        items: list[dict[str, Any]] = page["items"]
        return items

    @invariant()
    def versions_only_grow(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for role in self.everything("/roles"):
            seen["role", role["code"]] = role["version"]
        for capability in self.everything("/capabilities"):
            seen["capability", capability["key"]] = capability["version"]
        for kpi in self.everything("/kpis"):
            seen["kpi", kpi["key"]] = kpi["version"]
        for initiative in self.everything("/initiatives"):
            key = initiative["key"]
            seen["initiative", key] = initiative["version"]
            document = self.get(f"/initiatives/{key}", expand="components")
            assert document["version"] == initiative["version"]
            for component in document["components"]:
                seen["component", f"{key}/{component['key']}"] = component["version"]
            seen.update(self.matrix_cells_agree(key, document))
        for resource, version in seen.items():
            assert version >= 1
            assert version >= self.versions.get(resource, 1), f"{resource} went back"
        self.versions = seen

    def matrix_cells_agree(self, key: str, document: dict[str, Any]) -> dict[tuple[str, str], int]:
        """The matrix, the expanded document and the cells one by one say the same; the
        cells' versions."""
        versions = {}
        matrix = self.get(f"/initiatives/{key}/raci")
        assert matrix["initiative"] == key
        rows = {row["component"]: row for row in matrix["rows"]}
        assert list(rows) == sorted(c["key"] for c in document["components"])
        for component in document["components"]:
            row = rows[component["key"]]
            assert row["name"] == component["name"]
            assert row["cells"] == component["raci"], (key, component["key"])
            for role in matrix["roles"]:
                path = f"/initiatives/{key}/components/{component['key']}/raci/{role}"
                response = self.call("GET", path, ok=(200, 404))
                if role in row["cells"]:
                    assert response.status_code == 200
                    cell = response.json()
                    assert cell["raci"] == row["cells"][role]
                    versions["cell", f"{key}/{component['key']}/{role}"] = cell["version"]
                else:
                    assert response.status_code == 404
        return versions

    @invariant()
    def findings_match_the_reference(self) -> None:
        document = self.get("/export")
        assert self.findings() == reference_findings(document, as_of=AS_OF)


def test_the_portfolio_through_http_keeps_its_invariants(
    app: FastAPI, _session_database: tuple[Database, dict[str, list[dict[str, Any]]]]
) -> None:
    database, seed_rows = _session_database

    def machine() -> Portfolio:
        # Every example starts from a new database: the seeded roles and rules, one key.
        testdb.reset(database.engine, seed_rows)
        secret = _key(database, "stateful", "write")
        portfolio = Portfolio()
        portfolio.client = TestClient(
            app,
            base_url="http://testserver/api/v1",
            headers={"Authorization": f"Bearer {secret}"},
        )
        portfolio.database = database
        return portfolio

    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
