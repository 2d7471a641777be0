"""Request and response bodies for initiatives and their nested document.

`InitiativeDocument` (an initiative with its components and their RACI cells) is also
what a bulk import carries for each initiative.
"""

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from typing_extensions import TypeAliasType

from app.core.identifiers import GroupName, IsoDate, Key, Name, RaciLetters, RoleCode, Tag, Text
from app.core.schemas import ALWAYS_READ_ONLY, VersionedRead, WriteModel, partial_model
from app.raci.schemas import Agreement

InitiativeKind = TypeAliasType(
    "InitiativeKind",
    Literal["chatbot", "iot", "analytics", "app", "campaign", "platform", "other"],
)
InitiativeStatus = TypeAliasType(
    "InitiativeStatus",
    Literal["proposed", "planned", "active", "on_hold", "done", "cancelled"],
)
Portfolio = TypeAliasType("Portfolio", Literal["marketing", "it", "digital", "joint"])
Priority = Annotated[int, Field(ge=1, le=5)]

MAX_TAGS = 50
MAX_COMPONENTS = 5_000
MAX_CELLS_PER_COMPONENT = 100

_RACI_EXAMPLE = {"CIO": "AR", "CMO": "C"}


class InitiativeFields(WriteModel):
    name: Name = Field(examples=["Customer support chatbot"])
    kind: InitiativeKind = Field(default="other", examples=["chatbot"])
    status: InitiativeStatus = Field(
        default="proposed",
        description="`proposed`, `planned`, `active` and `on_hold` are live; "
        "`done` and `cancelled` are closed.",
        examples=["active"],
    )
    portfolio: Portfolio | None = Field(default=None, examples=["joint"])
    sponsor: RoleCode | None = Field(
        default=None, description="The sponsoring role (an existing role code).", examples=["CMO"]
    )
    goals: Text | None = Field(default=None, examples=["Answer routine questions around the clock"])
    use_cases: Text | None = Field(
        default=None, examples=["Order tracking, returns and opening hours"]
    )
    feasibility: Text | None = Field(
        default=None, examples=["Proven NLU vendors; CRM integration is the main risk"]
    )
    priority: Priority = Field(
        default=3, description="1 is the highest priority, 5 the lowest.", examples=[1]
    )
    start_date: IsoDate | None = Field(default=None, examples=["2026-01-15"])
    end_date: IsoDate | None = Field(
        default=None, description="Not before `start_date`.", examples=["2026-12-15"]
    )
    tags: list[Tag] = Field(
        default_factory=list,
        max_length=MAX_TAGS,
        description="Free labels; duplicates are dropped and the list is kept sorted.",
        examples=[["customer-experience"]],
    )
    external_ref: Name | None = Field(
        default=None, description="The initiative's id in the PMO tool.", examples=["PMO-1042"]
    )

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if end is not None and start is not None and end < start:
            raise ValueError(f"must not be before start_date ({start.isoformat()})")
        return end

    @field_validator("tags")
    @classmethod
    def _distinct_sorted(cls, tags: list[str]) -> list[str]:
        return sorted(set(tags))


class ComponentDocument(WriteModel):
    """A component inside an initiative document, with the RACI cells of its roles. Its
    `agreements`, as read, are ignored: only a decision changes an agreement."""

    read_only_fields = ALWAYS_READ_ONLY | {"agreements"}

    key: Key = Field(description="Unique within the initiative.", examples=["nlu"])
    name: Name = Field(examples=["NLU engine"])
    capability: Key | None = Field(
        default=None,
        description="An existing capability's key, or null.",
        # null: the example must work on a database that has no capability yet.
        examples=[None],
    )
    description: Text | None = Field(default=None, examples=["Intent recognition and entities"])
    group: GroupName | None = Field(
        default=None,
        description="The section of a sheet the component is listed under (a phase, a workstream).",
        examples=["Build"],
    )
    raci: dict[RoleCode, RaciLetters] = Field(
        default_factory=dict,
        max_length=MAX_CELLS_PER_COMPONENT,
        description="Role code to the cell's set of letters (A, R, S, C, I, V; `r/a` is "
        "`AR`), both case-insensitive. Roles left out hold no cell.",
        examples=[_RACI_EXAMPLE],
    )
    rationales: dict[RoleCode, Text] = Field(
        default_factory=dict,
        max_length=MAX_CELLS_PER_COMPONENT,
        description="Why a role holds its letters, by role code (each must have a cell in "
        "`raci`). A cell whose role is left out keeps the rationale it has.",
        examples=[{"CIO": "Runs the platform the NLU is hosted on"}],
    )

    @field_validator("raci", mode="before")
    @classmethod
    def _one_cell_per_role(cls, raci: Any) -> Any:
        if isinstance(raci, dict):
            seen: dict[str, str] = {}
            for code in raci:
                if not isinstance(code, str):
                    continue
                first = seen.setdefault(code.upper(), code)
                if first != code:
                    raise ValueError(f"names role {code.upper()} twice ('{first}' and '{code}')")
        return raci


Components = Annotated[
    list[ComponentDocument],
    Field(
        max_length=MAX_COMPONENTS,
        description="When present, the initiative's components and cells become exactly this "
        "list: components left out are removed. When absent, they are left as they are.",
        examples=[
            [
                {
                    "key": "nlu",
                    "name": "NLU engine",
                    "capability": "conversational-ai",
                    "raci": _RACI_EXAMPLE,
                },
                {"key": "persona", "name": "Conversation design", "raci": {"CMO": "A", "CDO": "R"}},
            ]
        ],
    ),
]


class InitiativeCreate(InitiativeFields):
    """A new initiative."""

    key: Key = Field(examples=["support-chatbot"])


class InitiativeDocument(InitiativeCreate):
    """An initiative with, optionally, its components and their RACI cells."""

    components: Components | None = None


class InitiativeReplace(InitiativeFields):
    """The whole initiative, optionally with its components and their RACI cells.

    `key` may be left out; if given it must match the URL. Read-only fields (`version`,
    `created_at`, `updated_at`), also inside components, are ignored, so what a GET with
    `expand=components` answered can be PUT back as it is.
    """

    key: Key | None = Field(default=None, examples=["support-chatbot"])
    components: Components | None = None


if TYPE_CHECKING:  # mypy cannot see through a generated model
    InitiativePatch = InitiativeFields
else:
    InitiativePatch = partial_model(
        InitiativeFields,
        "InitiativePatch",
        doc="A JSON merge patch of an initiative's fields (components are changed by PUT).",
    )


class InitiativeRead(VersionedRead):
    key: str = Field(examples=["support-chatbot"])
    name: str = Field(examples=["Customer support chatbot"])
    kind: InitiativeKind = Field(examples=["chatbot"])
    status: InitiativeStatus = Field(examples=["active"])
    portfolio: Portfolio | None = Field(default=None, examples=["joint"])
    sponsor: str | None = Field(default=None, examples=["CMO"])
    goals: str | None = None
    use_cases: str | None = None
    feasibility: str | None = None
    priority: int = Field(examples=[1])
    start_date: date | None = Field(default=None, examples=["2026-01-15"])
    end_date: date | None = Field(default=None, examples=["2026-12-15"])
    tags: list[str] = Field(examples=[["customer-experience"]])
    external_ref: str | None = Field(default=None, examples=["PMO-1042"])


class ComponentDocumentRead(VersionedRead):
    key: str = Field(examples=["nlu"])
    name: str = Field(examples=["NLU engine"])
    capability: str | None = Field(default=None, examples=["conversational-ai"])
    description: str | None = None
    group: str | None = None
    raci: dict[str, RaciLetters] = Field(examples=[_RACI_EXAMPLE])
    rationales: dict[str, str] = Field(
        default_factory=dict, description="The cells' rationales, by role code (set ones only)."
    )
    agreements: dict[str, Agreement] = Field(
        default_factory=dict,
        description="Each cell's agreement, by role code (read-only: a document written back "
        "must leave it out).",
    )


class InitiativeDocumentRead(InitiativeRead):
    """The initiative with its components (ordered by key) and their RACI cells."""

    components: list[ComponentDocumentRead]
