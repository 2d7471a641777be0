from datetime import datetime
from typing import Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from app.core.identifiers import Key, RaciLetters, RoleCode, Text
from app.core.schemas import ALWAYS_READ_ONLY, ReadModel, VersionedRead, WriteModel
from app.raci.models import RaciCell

AgreementState = TypeAliasType("AgreementState", Literal["proposed", "agreed", "disputed"])

RACI_DESCRIPTION = (
    "R (responsible), A (accountable), C (consulted), I (informed) or AR (accountable and "
    "responsible). Case-insensitive; A/R, R/A and RA are accepted for AR."
)


class RaciCellFields(WriteModel):
    raci: RaciLetters = Field(description=RACI_DESCRIPTION, examples=["AR"])
    rationale: Text | None = Field(
        default=None,
        description="Why this role holds this letter.",
        examples=[
            "Runs on enterprise infrastructure; integration, security and uptime sit with IT."
        ],
    )


class RaciCellReplace(RaciCellFields):
    """One role's letter for one component. `initiative`, `component` and `role` may be
    left out; if given they must match the URL, so a cell read with GET can be PUT back
    (its read-only `agreement` is ignored)."""

    read_only_fields = ALWAYS_READ_ONLY | {"agreement"}

    initiative: Key | None = Field(default=None, examples=["support-chatbot"])
    component: Key | None = Field(default=None, examples=["nlu"])
    role: RoleCode | None = Field(default=None, examples=["CIO"])


class Agreement(ReadModel):
    """Whether someone acting for the cell's role agreed to it (API.md "Explicit agreement").
    Read-only: set by `POST .../raci/{role_code}/agreement` and `POST /agreements`; new
    letters, by any write path, make it `proposed` again."""

    state: AgreementState = Field(
        description="`proposed` until someone acting for the role agrees or disputes.",
        examples=["agreed"],
    )
    by: str | None = Field(
        default=None, description="The name of the key that decided.", examples=["cio-office"]
    )
    at: datetime | None = Field(default=None, description="When it was decided.")
    comment: str | None = Field(default=None, examples=["Confirmed in the steering committee."])

    @classmethod
    def of(cls, cell: RaciCell) -> "Agreement":
        return cls(
            state=cell.agreement,
            by=cell.agreement_by,
            at=cell.agreement_at,
            comment=cell.agreement_comment,
        )


class RaciCellRead(VersionedRead):
    initiative: str = Field(examples=["support-chatbot"])
    component: str = Field(examples=["nlu"])
    role: str = Field(examples=["CIO"])
    raci: RaciLetters = Field(description=RACI_DESCRIPTION, examples=["AR"])
    rationale: str | None = None
    agreement: Agreement

    @classmethod
    def of(cls, initiative_key: str, component_key: str, cell: RaciCell) -> "RaciCellRead":
        """The cell as the API shows it, with the keys of its initiative and component."""
        return cls(
            initiative=initiative_key,
            component=component_key,
            role=cell.role,
            raci=cell.raci,
            rationale=cell.rationale,
            agreement=Agreement.of(cell),
            version=cell.version,
            created_at=cell.created_at,
            updated_at=cell.updated_at,
        )
