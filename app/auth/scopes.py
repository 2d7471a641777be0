from typing import Literal

from typing_extensions import TypeAliasType

# Named aliases become named schemas in the OpenAPI document (`$ref`), not inline enums.
Scope = TypeAliasType("Scope", Literal["read", "write", "admin"])

_RANK: dict[str, int] = {"read": 1, "write": 2, "admin": 3}


def grants(held: str, needed: Scope) -> bool:
    """Whether a key of scope `held` may do what needs `needed` (admin > write > read)."""
    return _RANK.get(held, 0) >= _RANK[needed]
