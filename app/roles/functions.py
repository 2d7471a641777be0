"""The functions a role may serve, shared by the model, the schemas and the rules."""

from typing import Literal, get_args

from typing_extensions import TypeAliasType

RoleFunction = TypeAliasType(
    "RoleFunction", Literal["marketing", "technology", "data", "digital", "executive", "other"]
)
"""What a role is there for: `marketing` (CMO), `technology` (CIO), `data`, `digital` (CDO),
`executive` (CEO) or `other`. The early-involvement rules look for `technology` and
`marketing` roles among an initiative's cells."""

ROLE_FUNCTIONS: tuple[str, ...] = get_args(RoleFunction.__value__)
