from typing import Literal

Scope = Literal["read", "write", "admin"]

_RANK: dict[str, int] = {"read": 1, "write": 2, "admin": 3}


def grants(held: str, needed: Scope) -> bool:
    """Whether a key of scope `held` may do what needs `needed` (admin > write > read)."""
    return _RANK.get(held, 0) >= _RANK[needed]
