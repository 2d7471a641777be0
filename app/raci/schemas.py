from pydantic import Field

from app.core.identifiers import Key, RaciLetters, RoleCode, Text
from app.core.schemas import VersionedRead, WriteModel
from app.raci.models import RaciCell

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
    left out; if given they must match the URL, so a cell read with GET can be PUT back."""

    initiative: Key | None = Field(default=None, examples=["support-chatbot"])
    component: Key | None = Field(default=None, examples=["nlu"])
    role: RoleCode | None = Field(default=None, examples=["CIO"])


class RaciCellRead(VersionedRead):
    initiative: str = Field(examples=["support-chatbot"])
    component: str = Field(examples=["nlu"])
    role: str = Field(examples=["CIO"])
    raci: RaciLetters = Field(description=RACI_DESCRIPTION, examples=["AR"])
    rationale: str | None = None

    @classmethod
    def of(cls, initiative_key: str, component_key: str, cell: RaciCell) -> "RaciCellRead":
        """The cell as the API shows it, with the keys of its initiative and component."""
        return cls(
            initiative=initiative_key,
            component=component_key,
            role=cell.role,
            raci=cell.raci,
            rationale=cell.rationale,
            version=cell.version,
            created_at=cell.created_at,
            updated_at=cell.updated_at,
        )
