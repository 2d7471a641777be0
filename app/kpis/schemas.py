from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from app.core.identifiers import (
    IsoDate,
    Key,
    Name,
    RoleCode,
    ShortText,
    TimestampOrDate,
    Unit,
)
from app.core.schemas import ALWAYS_READ_ONLY, ReadModel, VersionedRead, WriteModel, partial_model
from app.kpis.status import KpiStatus

KpiDirection = TypeAliasType("KpiDirection", Literal["increase", "decrease"])

MAX_OWNERS = 20
MAX_INITIATIVES = 200

FiniteNumber = Annotated[
    float,
    # Strict: a JSON number, not "72" or true. NaN and Infinity cannot be compared with a target.
    Field(strict=True, allow_inf_nan=False),
]


class KpiFields(WriteModel):
    """The writable fields of a KPI. `joint`, `latest` and `status` are computed and ignored here."""

    read_only_fields: ClassVar[frozenset[str]] = ALWAYS_READ_ONLY | {"joint", "latest", "status"}

    name: Name = Field(examples=["Customer satisfaction"])
    unit: Unit | None = Field(default=None, examples=["score"])
    direction: KpiDirection = Field(
        default="increase",
        description="`increase`: higher is better; `decrease`: lower is better.",
        examples=["increase"],
    )
    baseline: FiniteNumber = Field(description="The value when work started.", examples=[72])
    baseline_date: IsoDate = Field(examples=["2026-01-01"])
    target: FiniteNumber = Field(description="The value agreed to reach.", examples=[85])
    target_date: IsoDate = Field(
        description="When the target is due; after `baseline_date`.", examples=["2027-12-31"]
    )
    owners: list[RoleCode] = Field(
        min_length=1,
        max_length=MAX_OWNERS,
        description="Role codes that own the KPI, at least one, each once. "
        "Two or more make it a joint KPI.",
        examples=[["CMO", "CIO"]],
    )
    initiatives: list[Key] = Field(
        default_factory=list,
        max_length=MAX_INITIATIVES,
        description='Keys of existing initiatives the KPI serves, e.g. `["support-chatbot"]`.',
        examples=[[]],
    )


class KpiCreate(KpiFields):
    """A new KPI."""

    key: Key = Field(examples=["csat"])


class KpiReplace(KpiFields):
    """The whole KPI. `key` may be left out; if given it must match the URL."""

    key: Key | None = Field(default=None, examples=["csat"])


if TYPE_CHECKING:  # mypy cannot see through a generated model
    KpiPatch = KpiFields
else:
    KpiPatch = partial_model(KpiFields, "KpiPatch", doc="A JSON merge patch of a KPI's fields.")


class LatestRead(ReadModel):
    """The newest measurement seen as of the date asked for."""

    value: float = Field(examples=[74])
    measured_at: datetime = Field(examples=["2026-10-31T00:00:00Z"])
    note: str | None = Field(default=None, examples=["Quarterly survey"])


class KpiRead(VersionedRead):
    key: str = Field(examples=["csat"])
    name: str = Field(examples=["Customer satisfaction"])
    unit: str | None = Field(default=None, examples=["score"])
    direction: KpiDirection = Field(examples=["increase"])
    baseline: float = Field(examples=[72])
    baseline_date: date = Field(examples=["2026-01-01"])
    target: float = Field(examples=[85])
    target_date: date = Field(examples=["2027-12-31"])
    owners: list[str] = Field(description="Role codes, sorted.", examples=[["CIO", "CMO"]])
    initiatives: list[str] = Field(
        description="Initiative keys, sorted.", examples=[["customer-360", "support-chatbot"]]
    )
    joint: bool = Field(description="True when the KPI has two or more owners.", examples=[True])
    latest: LatestRead | None = Field(
        description="The newest measurement taken on or before the as-of date, or null."
    )
    status: KpiStatus = Field(
        description="`no_data`, `achieved`, `on_track`, `at_risk` or `off_track`, "
        "computed as of the as-of date.",
        examples=["off_track"],
    )


MEASURED_AT_DESCRIPTION = (
    "When the value was measured: an RFC 3339 timestamp with a zone, or a date "
    "(`2026-10-31`, meaning midnight UTC). A timestamp with an offset keeps its instant and "
    "is answered in UTC: `2026-10-31T02:00:00+02:00` comes back as `2026-10-31T00:00:00Z`."
)


class MeasurementCreate(WriteModel):
    """One reading of a KPI. A KPI has one measurement per `measured_at`."""

    value: FiniteNumber = Field(examples=[74])
    measured_at: TimestampOrDate = Field(
        description=MEASURED_AT_DESCRIPTION, examples=["2026-10-31T00:00:00Z"]
    )
    note: ShortText | None = Field(default=None, examples=["Quarterly survey"])


class MeasurementReplace(WriteModel):
    """The corrected reading. `measured_at` may be left out; if given it must name the same
    moment as the URL (a reading taken at another time is another measurement)."""

    value: FiniteNumber = Field(examples=[74])
    measured_at: TimestampOrDate | None = Field(
        default=None, description=MEASURED_AT_DESCRIPTION, examples=["2026-10-31T00:00:00Z"]
    )
    note: ShortText | None = Field(default=None, examples=["Quarterly survey, corrected"])


class MeasurementRead(VersionedRead):
    value: float = Field(examples=[74])
    measured_at: datetime = Field(description="In UTC.", examples=["2026-10-31T00:00:00Z"])
    note: str | None = Field(default=None, examples=["Quarterly survey"])
    created_at: datetime = Field(description="When the service recorded it.")
    updated_at: datetime = Field(description="When it was last corrected (or recorded).")
