"""Requests and answers of agreement decisions (API.md "Explicit agreement")."""

from typing import Literal, Self

from pydantic import ConfigDict, Field, model_validator
from typing_extensions import TypeAliasType

from app.core.identifiers import Key, RoleCode, Text
from app.core.schemas import ReadModel, WriteModel
from app.raci.schemas import RaciCellRead

AgreementDecisionValue = TypeAliasType("AgreementDecisionValue", Literal["agree", "dispute"])
Decision = AgreementDecisionValue
OutcomeStatus = TypeAliasType("OutcomeStatus", Literal[200, 403, 404])

MAX_CELLS = 10_000
"""Cells one `POST /agreements` may name."""


class DecisionFields(WriteModel):
    decision: Decision = Field(
        description="`agree`: the role accepts the cell's letters; `dispute`: it does not "
        "(a `comment` saying why is required).",
        examples=["agree"],
    )
    comment: Text | None = Field(
        default=None,
        description="Why; required to dispute. Kept with the agreement.",
        examples=["Confirmed at the steering committee of 12 November."],
    )


class AgreementDecision(DecisionFields):
    """One cell's decision."""


class CellAddress(WriteModel):
    initiative: Key = Field(examples=["support-chatbot"])
    component: Key = Field(examples=["nlu"])
    role: RoleCode = Field(examples=["CIO"])


class AgreementsRequest(DecisionFields):
    """Either `initiative` and `role` (every cell of that role in that initiative) or
    `cells` (a list of cells), never both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "agree",
                    "comment": "Confirmed at the steering committee of 12 November.",
                    "initiative": "support-chatbot",
                    "role": "CIO",
                },
                {
                    "decision": "dispute",
                    "comment": "The vendor runs the NLU until go-live.",
                    "cells": [{"initiative": "support-chatbot", "component": "nlu", "role": "CIO"}],
                },
            ]
        }
    )

    initiative: Key | None = Field(default=None, examples=["support-chatbot"])
    role: RoleCode | None = Field(default=None, examples=["CIO"])
    cells: list[CellAddress] | None = Field(default=None, min_length=1, max_length=MAX_CELLS)

    @model_validator(mode="after")
    def _one_way_to_name_cells(self) -> Self:
        by_role = self.initiative is not None or self.role is not None
        if by_role and self.cells is not None:
            raise ValueError("give either `initiative` and `role`, or `cells`, not both")
        if self.cells is None and (self.initiative is None or self.role is None):
            raise ValueError("give `initiative` and `role` together, or a list of `cells`")
        return self


class AgreementOutcome(ReadModel):
    """What became of one cell: `status` 200 (decided: `cell` is the cell as it is now),
    403 (the key does not act for the role) or 404 (no such initiative, component or cell),
    with a `detail` saying why when not 200."""

    initiative: str = Field(examples=["support-chatbot"])
    component: str = Field(examples=["nlu"])
    role: str = Field(examples=["CIO"])
    status: OutcomeStatus = Field(examples=[200])
    detail: str | None = None
    cell: RaciCellRead | None = None


class AgreementsResult(ReadModel):
    decision: Decision
    decided: int = Field(description="Cells decided (status 200).")
    refused: int = Field(description="Cells not decided (status 403 or 404).")
    cells: list[AgreementOutcome] = Field(
        description="One outcome per cell named, in the order named (a cell named twice once)."
    )
