"""The bulk import document and its answer; the sheet import's answer."""

from typing import Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from app.capabilities.schemas import CapabilityCreate
from app.core.identifiers import Key
from app.core.schemas import ReadModel, WriteModel
from app.initiatives.schemas import InitiativeDocument
from app.kpis.schemas import KpiCreate, MeasurementCreate
from app.roles.schemas import RoleCreate
from app.rules.schemas import RuleSettingDocument

MAX_ITEMS = 100_000

_EXAMPLE_INITIATIVE = {
    "key": "support-chatbot",
    "name": "Customer support chatbot",
    "kind": "chatbot",
    "status": "active",
    "portfolio": "joint",
    "sponsor": "CMO",
    "components": [
        {
            "key": "nlu",
            "name": "NLU engine",
            "capability": "conversational-ai",
            "raci": {"CIO": "AR", "CMO": "C"},
        },
        {"key": "persona", "name": "Conversation design", "raci": {"CMO": "A", "CDO": "R"}},
    ],
}


class ImportDocument(WriteModel):
    """A whole portfolio, or any part of it, applied as one transaction: all or nothing.

    Items may refer to items of the same document (a component to a capability defined
    above it, a KPI to an initiative of the document). Each initiative is a nested document:
    when it carries `components`, its components and cells become exactly those.
    """

    roles: list[RoleCreate] = Field(default_factory=list, max_length=1_000)
    capabilities: list[CapabilityCreate] = Field(default_factory=list, max_length=MAX_ITEMS)
    initiatives: list[InitiativeDocument] = Field(
        default_factory=list, max_length=MAX_ITEMS, examples=[[_EXAMPLE_INITIATIVE]]
    )
    kpis: list[KpiCreate] = Field(default_factory=list, max_length=MAX_ITEMS)
    measurements: dict[Key, list[MeasurementCreate]] = Field(
        default_factory=dict,
        max_length=MAX_ITEMS,
        description="Measurements by KPI key. A measurement already stored with the same value "
        "is unchanged; with another value it is an error.",
        examples=[{"csat": [{"value": 74, "measured_at": "2026-10-31T00:00:00Z"}]}],
    )
    rules: list[RuleSettingDocument] = Field(
        default_factory=list,
        max_length=100,
        description="Rule settings (`PATCH /rules/{code}`): the export lists the rules whose "
        "settings differ from their defaults, so that both servers give the same findings.",
        examples=[[{"code": "MULTIPLE_ACCOUNTABLE", "enabled": True, "severity": "low"}]],
    )


# How a sheet import treats what the sheet leaves out.
ImportMode = TypeAliasType("ImportMode", Literal["merge", "replace"])


class Counts(ReadModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = Field(
        default=0, description="Components and cells removed because a document left them out."
    )


class ImportResult(ReadModel):
    """What the import did, per resource. A second identical import is all `unchanged`."""

    roles: Counts = Field(default_factory=Counts)
    capabilities: Counts = Field(default_factory=Counts)
    initiatives: Counts = Field(default_factory=Counts)
    components: Counts = Field(default_factory=Counts)
    raci_cells: Counts = Field(default_factory=Counts)
    kpis: Counts = Field(default_factory=Counts)
    measurements: Counts = Field(default_factory=Counts)
    rules: Counts = Field(default_factory=Counts)


class SheetSummary(ReadModel):
    """Counts of cells."""

    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0


class CellChange(ReadModel):
    """One cell that the sheet creates, changes or removes: its letters before and after
    (null: no cell)."""

    component: str = Field(examples=["nlu"])
    role: str = Field(examples=["CIO"])
    before: str | None = Field(examples=["R"])
    after: str | None = Field(examples=["AR"])


class SheetImportResult(ReadModel):
    """What a sheet import did (or, with `dry_run`, would do)."""

    initiative: str = Field(examples=["support-chatbot"])
    mode: ImportMode
    dry_run: bool
    summary: SheetSummary
    changes: list[CellChange] = Field(
        description="Every cell created, updated or removed; unchanged cells are counted only."
    )
    roles_created: list[str] = Field(description="Role codes created for unknown headers.")
    components_created: list[str] = Field(description="Keys of the components created.")
    warnings: list[str] = Field(
        description="What was skipped (columns without letters, group rows without tasks) and, "
        "in merge mode, what of the initiative the sheet does not mention."
    )
