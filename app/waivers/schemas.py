"""Request and response bodies for waivers."""

from datetime import date
from typing import TYPE_CHECKING, Annotated, ClassVar

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from app.core.identifiers import IsoDate, Key, no_control_chars, upper_if_str
from app.core.schemas import ALWAYS_READ_ONLY, VersionedRead, WriteModel, partial_model
from app.rules.catalog import RuleCode

WaivedRule = Annotated[RuleCode, BeforeValidator(upper_if_str)]
Rationale = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(no_control_chars),
]


class WaiverFields(WriteModel):
    """What a waiver accepts, and why. The subject fields name the finding's subject exactly
    as the finding does: copy `rule`, `initiative`, `component`, `capability` and `kpi`
    from the finding (a field the finding leaves null stays null)."""

    read_only_fields: ClassVar[frozenset[str]] = ALWAYS_READ_ONLY | {"created_by", "active"}

    rule: WaivedRule = Field(description="The finding's rule.", examples=["NO_JOINT_KPI"])
    initiative: Key | None = Field(
        default=None,
        description="The finding's initiative, if it names one.",
        examples=["support-chatbot"],
    )
    component: Key | None = Field(
        default=None,
        description="The finding's component (within `initiative`), if it names one.",
        examples=[None],
    )
    capability: Key | None = Field(
        default=None, description="The finding's capability, if it names one.", examples=[None]
    )
    kpi: Key | None = Field(
        default=None, description="The finding's KPI, if it names one.", examples=[None]
    )
    rationale: Rationale = Field(
        description="Why the finding is accepted: the decision, who took it, until when.",
        examples=["Pilot measured on the contact centre's KPIs until launch (board, 2026-11-20)."],
    )
    expires_on: IsoDate | None = Field(
        default=None,
        description="From this date on the waiver waives nothing (null: until removed).",
        examples=["2027-06-30"],
    )


class WaiverCreate(WaiverFields):
    """A new waiver."""

    key: Key = Field(examples=["chatbot-kpis-later"])


class WaiverReplace(WaiverFields):
    """The whole waiver. `key` may be left out; if given it must match the URL."""

    key: Key | None = Field(default=None, examples=["chatbot-kpis-later"])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    WaiverPatch = WaiverFields
else:
    WaiverPatch = partial_model(
        WaiverFields,
        "WaiverPatch",
        doc='A JSON merge patch of a waiver\'s fields; `{"expires_on": "<today>"}` expires it.',
    )


class WaiverRead(VersionedRead):
    key: str = Field(examples=["pilot-design-co-owned"])
    rule: str = Field(examples=["MULTIPLE_ACCOUNTABLE"])
    initiative: str | None = Field(default=None, examples=["pilot"])
    component: str | None = Field(default=None, examples=["design"])
    capability: str | None = Field(default=None, examples=[None])
    kpi: str | None = Field(default=None, examples=[None])
    rationale: str = Field(
        examples=["Co-ownership agreed by the steering committee on 2026-11-20 until launch."]
    )
    expires_on: date | None = Field(default=None, examples=["2027-06-30"])
    created_by: str = Field(
        description="The name of the API key that created the waiver.", examples=["pmo-tool"]
    )
    active: bool = Field(
        description="Whether it waives its finding today (false once `expires_on` is reached).",
        examples=[True],
    )
