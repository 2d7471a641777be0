"""The peer the product's throughput is compared with: a plain FastAPI + SQLAlchemy CRUD app
in the usual style, over the product's own database (its tables, read-only).

Run as `uvicorn bench.peer_app:app` with PEER_DATABASE_URL set (bench.server.PeerServer
does). Nothing of the product is imported: its own ORM models of the tables it reads, a
session per request (a FastAPI dependency), a service function per route, Pydantic response
models, and API keys checked the ordinary way: the SHA-256 of the bearer secret looked up
in the product's `api_key` table on every request.

Routes (the same paths and query parameters as the product's):

- `GET /api/v1/initiatives/{key}`: one initiative with its tags;
- `GET /api/v1/initiatives?status=&kind=&portfolio=&sponsor=&tag=&q=&limit=&cursor=`: a
  page of initiatives by key (a filter given several times matches any of its values);
- `GET /api/v1/reports/findings?initiative=K`: one live initiative's findings under the
  nine per-initiative rules (UNOWNED_COMPONENT, MULTIPLE_ACCOUNTABLE, NO_RESPONSIBLE,
  UNSPONSORED_INITIATIVE, SILOED_INITIATIVE, OWNER_DRIFT, NO_JOINT_KPI,
  IT_NOT_INVOLVED_EARLY, BUSINESS_NOT_INVOLVED_EARLY), computed straightforwardly in Python
  from the initiative's rows.
"""

import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Header, HTTPException, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ForeignKey, String, create_engine, func, select
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
)

LIVE_STATUSES = ("proposed", "planned", "active", "on_hold")
TECHNOLOGY_KINDS = ("chatbot", "iot", "analytics", "app", "platform")
ACCOUNTABLE = ("A", "AR")
RESPONSIBLE = ("R", "AR")

# --- models ----------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class ApiKey(Base):
    __tablename__ = "api_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(8))
    secret_hash: Mapped[str] = mapped_column(String(64))


class InitiativeTag(Base):
    __tablename__ = "initiative_tag"
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)


class Initiative(Base):
    __tablename__ = "initiative"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    portfolio: Mapped[str | None]
    sponsor: Mapped[str | None]
    goals: Mapped[str | None]
    use_cases: Mapped[str | None]
    feasibility: Mapped[str | None]
    priority: Mapped[int]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    external_ref: Mapped[str | None]
    version: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    tag_rows: Mapped[list[InitiativeTag]] = relationship(order_by=InitiativeTag.tag)
    components: Mapped[list["Component"]] = relationship(order_by="Component.key")

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class RaciCell(Base):
    __tablename__ = "raci_cell"
    component_id: Mapped[int] = mapped_column(ForeignKey("component.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    raci: Mapped[str] = mapped_column(String(2))


class Component(Base):
    __tablename__ = "component"
    id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(ForeignKey("initiative.id"))
    key: Mapped[str]
    name: Mapped[str]
    capability: Mapped[str | None]
    cells: Mapped[list[RaciCell]] = relationship(order_by=RaciCell.role)


class Capability(Base):
    __tablename__ = "capability"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str]
    name: Mapped[str]
    domain: Mapped[str | None]
    agreed_owner: Mapped[str | None]


class Role(Base):
    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str]
    function: Mapped[str]


class KpiOwner(Base):
    __tablename__ = "kpi_owner"
    kpi_id: Mapped[int] = mapped_column(primary_key=True)
    role: Mapped[str] = mapped_column(primary_key=True)


class KpiInitiative(Base):
    __tablename__ = "kpi_initiative"
    kpi_id: Mapped[int] = mapped_column(primary_key=True)
    initiative_id: Mapped[int] = mapped_column(primary_key=True)


# --- database and auth -----------------------------------------------------------------

DATABASE_URL = os.environ.get("PEER_DATABASE_URL", "sqlite:///./raci.db")
engine = create_engine(
    DATABASE_URL,
    connect_args={"check_same_thread": False} if DATABASE_URL.startswith("sqlite") else {},
)
SessionLocal = sessionmaker(engine)


def get_session() -> Iterator[Session]:
    with SessionLocal() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def require_key(session: SessionDep, authorization: Annotated[str, Header()] = "") -> ApiKey:
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret:
        raise HTTPException(401, "missing API key")
    digest = hashlib.sha256(secret.encode()).hexdigest()
    key = session.scalar(select(ApiKey).where(ApiKey.secret_hash == digest))
    if key is None:
        raise HTTPException(401, "unknown API key")
    return key


KeyDep = Annotated[ApiKey, Depends(require_key)]

# --- schemas ---------------------------------------------------------------------------


class InitiativeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str
    name: str
    kind: str
    status: str
    portfolio: str | None
    sponsor: str | None
    goals: str | None
    use_cases: str | None
    feasibility: str | None
    priority: int
    start_date: date | None
    end_date: date | None
    tags: list[str]
    external_ref: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class InitiativePage(BaseModel):
    items: list[InitiativeOut]
    next_cursor: str | None


class FindingOut(BaseModel):
    rule: str
    initiative: str
    component: str | None
    roles: list[str]
    message: str


class FindingsSummary(BaseModel):
    total: int
    by_rule: dict[str, int]


class FindingsOut(BaseModel):
    summary: FindingsSummary
    findings: list[FindingOut]


# --- services --------------------------------------------------------------------------


def get_initiative(session: Session, key: str) -> Initiative:
    initiative = session.scalar(
        select(Initiative).where(Initiative.key == key).options(selectinload(Initiative.tag_rows))
    )
    if initiative is None:
        raise HTTPException(404, f"initiative {key} not found")
    return initiative


def list_initiatives(
    session: Session,
    *,
    status: list[str],
    kind: list[str],
    portfolio: list[str],
    sponsor: list[str],
    tag: list[str],
    q: str | None,
    limit: int,
    cursor: str | None,
) -> InitiativePage:
    stmt = select(Initiative).options(selectinload(Initiative.tag_rows))
    if status:
        stmt = stmt.where(Initiative.status.in_(status))
    if kind:
        stmt = stmt.where(Initiative.kind.in_(kind))
    if portfolio:
        stmt = stmt.where(Initiative.portfolio.in_(portfolio))
    if sponsor:
        stmt = stmt.where(Initiative.sponsor.in_([code.upper() for code in sponsor]))
    if tag:
        tagged = select(InitiativeTag.initiative_id).where(InitiativeTag.tag.in_(tag))
        stmt = stmt.where(Initiative.id.in_(tagged))
    if q:
        stmt = stmt.where(func.lower(Initiative.name).contains(q.lower()))
    if cursor:
        stmt = stmt.where(Initiative.key > cursor)
    rows = list(session.scalars(stmt.order_by(Initiative.key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return InitiativePage(
        items=[InitiativeOut.model_validate(row) for row in rows],
        next_cursor=rows[-1].key if more and rows else None,
    )


def initiative_findings(session: Session, key: str) -> FindingsOut:
    """The seven per-initiative rules over one initiative (none when it is not live)."""
    initiative = session.scalar(
        select(Initiative)
        .where(Initiative.key == key)
        .options(selectinload(Initiative.components).selectinload(Component.cells))
    )
    if initiative is None:
        raise HTTPException(404, f"initiative {key} not found")
    findings: list[FindingOut] = []
    if initiative.status in LIVE_STATUSES:
        findings = _rules(session, initiative)
    counts = Counter(finding.rule for finding in findings)
    return FindingsOut(
        summary=FindingsSummary(total=len(findings), by_rule=dict(counts)), findings=findings
    )


def _rules(session: Session, initiative: Initiative) -> list[FindingOut]:
    found: list[FindingOut] = []

    def add(rule: str, component: str | None, roles: list[str], message: str) -> None:
        found.append(
            FindingOut(
                rule=rule,
                initiative=initiative.key,
                component=component,
                roles=roles,
                message=message,
            )
        )

    used = {c.capability for c in initiative.components if c.capability}
    capabilities = (
        session.execute(
            select(Capability.key, Capability.agreed_owner, Capability.domain).where(
                Capability.key.in_(used)
            )
        ).all()
        if used
        else []
    )
    owners = {key: owner for key, owner, _ in capabilities}
    domains = {domain for _, _, domain in capabilities}
    every_role: set[str] = set()
    for component in initiative.components:
        roles = sorted(cell.role for cell in component.cells)
        every_role.update(roles)
        accountable = sorted(cell.role for cell in component.cells if cell.raci in ACCOUNTABLE)
        responsible = [cell.role for cell in component.cells if cell.raci in RESPONSIBLE]
        name = component.name
        if not accountable:
            add("UNOWNED_COMPONENT", component.key, roles, f"Nobody is accountable for {name}")
        if len(accountable) >= 2:
            add("MULTIPLE_ACCOUNTABLE", component.key, accountable, f"{name}: several accountable")
        if not responsible:
            add("NO_RESPONSIBLE", component.key, accountable, f"Nobody is responsible for {name}")
        owner = owners.get(component.capability) if component.capability else None
        if owner is not None and owner not in accountable:
            drift = sorted({owner, *accountable})
            add("OWNER_DRIFT", component.key, drift, f"{owner} is the agreed owner of {name}")
    if initiative.sponsor is None:
        add("UNSPONSORED_INITIATIVE", None, [], f"{initiative.name} has no sponsor")
    if len(every_role) == 1:
        add("SILOED_INITIATIVE", None, sorted(every_role), f"Only one role in {initiative.name}")
    joint = select(KpiOwner.kpi_id).group_by(KpiOwner.kpi_id).having(func.count() >= 2)
    served = session.scalar(
        select(func.count())
        .select_from(KpiInitiative)
        .where(KpiInitiative.initiative_id == initiative.id, KpiInitiative.kpi_id.in_(joint))
    )
    if not served:
        roles = [initiative.sponsor] if initiative.sponsor else []
        add("NO_JOINT_KPI", None, roles, f"No joint KPI serves {initiative.name}")
    if initiative.status in ("proposed", "planned"):
        involved_roles = {
            cell.role
            for component in initiative.components
            for cell in component.cells
            if set(cell.raci) & {"R", "A", "C"}
        }
        functions = set(
            session.scalars(select(Role.function).where(Role.code.in_(involved_roles)))
            if involved_roles
            else []
        )
        sponsor = [initiative.sponsor] if initiative.sponsor else []
        needs_technology = initiative.kind in TECHNOLOGY_KINDS or bool(
            domains & {"technology", "data"}
        )
        if needs_technology and "technology" not in functions:
            add("IT_NOT_INVOLVED_EARLY", None, sponsor, f"IT is not in {initiative.name}")
        if initiative.portfolio == "it" and "marketing" not in functions:
            add("BUSINESS_NOT_INVOLVED_EARLY", None, sponsor, f"No business in {initiative.name}")
    return found


# --- routes ----------------------------------------------------------------------------

app = FastAPI(title="peer CRUD app (bench)")


@app.get("/readyz")
def readyz(session: SessionDep) -> dict[str, str]:
    session.execute(select(1))
    return {"status": "ready"}


@app.get("/api/v1/initiatives/{key}", response_model=InitiativeOut)
def read_initiative(key: str, session: SessionDep, _: KeyDep) -> Initiative:
    return get_initiative(session, key)


@app.get("/api/v1/initiatives", response_model=InitiativePage)
def read_initiatives(
    session: SessionDep,
    _: KeyDep,
    status: Annotated[list[str] | None, Query()] = None,
    kind: Annotated[list[str] | None, Query()] = None,
    portfolio: Annotated[list[str] | None, Query()] = None,
    sponsor: Annotated[list[str] | None, Query()] = None,
    tag: Annotated[list[str] | None, Query()] = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> InitiativePage:
    return list_initiatives(
        session,
        status=status or [],
        kind=kind or [],
        portfolio=portfolio or [],
        sponsor=sponsor or [],
        tag=tag or [],
        q=q,
        limit=limit,
        cursor=cursor,
    )


@app.get("/api/v1/reports/findings", response_model=FindingsOut)
def read_findings(
    session: SessionDep, _: KeyDep, initiative: Annotated[str, Query()]
) -> FindingsOut:
    return initiative_findings(session, initiative)
