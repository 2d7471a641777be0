"""Response bodies of the reports and the RACI matrix."""

from datetime import date, datetime
from typing import Literal

from pydantic import Field
from typing_extensions import TypeAliasType

from app.core.identifiers import RaciLetters
from app.core.schemas import ReadModel
from app.raci.schemas import AgreementState
from app.rules.catalog import RuleCode, Severity

# The matrix's columns: the roles holding a cell on the initiative, or every role.
MatrixRoles = TypeAliasType("MatrixRoles", Literal["initiative", "all"])


class FindingRead(ReadModel):
    rule: RuleCode
    severity: Severity
    initiative: str | None = Field(
        description="Initiative key, or null for portfolio-wide findings."
    )
    component: str | None = Field(description="Component key, for component findings.")
    capability: str | None = Field(description="Capability key, where one is concerned.")
    kpi: str | None = Field(description="KPI key, for KPI findings.")
    roles: list[str] = Field(
        description="The role codes involved, sorted.", examples=[["CDO", "CIO"]]
    )
    message: str = Field(
        examples=[
            "Both CDO and CIO are accountable for 'CRM data feed' in 'Customer support "
            "chatbot'; agree on one."
        ]
    )
    waiver: str | None = Field(
        default=None,
        description="The key of the waiver that accepts this finding (shown only with "
        "`include_waived=true`); null otherwise.",
        examples=[None],
    )


class FindingsSummary(ReadModel):
    total: int = Field(description="Findings returned.")
    by_rule: dict[str, int] = Field(description="Findings per rule of the report, zeros included.")
    by_severity: dict[str, int] = Field(description="Findings per severity, zeros included.")
    waived: int = Field(
        description="Findings of the report accepted by an active waiver (left out unless "
        "`include_waived=true`, then included in `total`).",
        examples=[0],
    )


class FindingsReportRead(ReadModel):
    generated_at: datetime
    as_of: date = Field(description="The date KPI status was computed for.")
    summary: FindingsSummary
    findings: list[FindingRead]


class RoleWorkloadRead(ReadModel):
    role: str = Field(examples=["CIO"])
    A: int = Field(description="Components where the role's cell holds A (accountable).")
    R: int = Field(description="Components where the role's cell holds R (responsible).")
    C: int = Field(description="Components where the role's cell holds C (consulted).")
    I: int = Field(description="Components where the role's cell holds I (informed).")  # noqa: E741
    sponsored: int = Field(description="Initiatives the role sponsors.")
    S: int = Field(description="Components where the role's cell holds S (supports, RASCI).")
    V: int = Field(description="Components where the role's cell holds V (verifies, RACI-VS).")


class WorkloadRead(ReadModel):
    roles: list[RoleWorkloadRead]


class MatrixRowRead(ReadModel):
    component: str
    name: str
    group: str | None = None
    cells: dict[str, RaciLetters] = Field(examples=[{"CIO": "AR", "CMO": "CI"}])
    agreements: dict[str, AgreementState] = Field(
        default_factory=dict,
        description="Each cell's agreement state, by role code.",
        examples=[{"CIO": "agreed", "CMO": "proposed"}],
    )


class RaciMatrixRead(ReadModel):
    initiative: str
    roles: list[str] = Field(
        description="The matrix's columns, sorted: the roles holding a cell in the initiative "
        "(every role with `roles=all`)."
    )
    rows: list[MatrixRowRead]


class RoleAgreementsRead(ReadModel):
    initiative: str = Field(examples=["support-chatbot"])
    role: str = Field(examples=["CIO"])
    agreed: int = Field(description="Cells the role agreed to.")
    proposed: int = Field(description="Cells nobody acting for the role decided yet.")
    disputed: int = Field(description="Cells the role disputes.")
    stale: int = Field(
        description="Agreed cells agreed more than `reconfirm_days` ago (also in `agreed`)."
    )
    overdue: int = Field(
        description="Proposed cells past `agreement_grace_days` (also in `proposed`)."
    )


class AgreementsReportRead(ReadModel):
    as_of: date
    rows: list[RoleAgreementsRead] = Field(
        description="One per initiative and role holding cells in it, by initiative and role."
    )
