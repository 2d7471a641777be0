"""ETag, If-Match and If-None-Match: optimistic concurrency for clients (RFC 9110 §13).

Every ETag this service sends is strong (`"<version>"`). `If-Match` compares strongly: a
weak tag (`W/"3"`) or anything that is not a quoted tag never matches, so the write is a
412. `If-None-Match` compares weakly: `*` or a tag of the current version means the
precondition fails (412) for a write; `If-None-Match: *` on a PUT therefore means "create
only".
"""

import re
from dataclasses import dataclass

from app.core.errors import PreconditionFailed

_ENTITY_TAG = re.compile(r'\s*(W/)?"([^"]*)"\s*')


def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque value) of each entity tag of a list; malformed members are dropped."""
    tags = []
    for member in header.split(","):
        match = _ENTITY_TAG.fullmatch(member)
        if match is not None:
            tags.append((match.group(1) is not None, match.group(2)))
    return tags


@dataclass(frozen=True)
class IfMatch:
    """The request's preconditions: `If-Match` (`raw`) and `If-None-Match` (`none_match`),
    each None when absent."""

    raw: str | None
    none_match: str | None = None

    def check(self, current_version: int | None) -> None:
        """Raise 412 unless the preconditions hold for the resource at `current_version`
        (None: it does not exist)."""
        self._check_if_match(current_version)
        self._check_if_none_match(current_version)

    def _check_if_match(self, current_version: int | None) -> None:
        if self.raw is None:
            return
        if current_version is None:
            raise PreconditionFailed("If-Match was given but the resource does not exist")
        if self.raw.strip() == "*":
            return
        current = str(current_version)
        if not any(not weak and value == current for weak, value in _tags(self.raw)):
            weak_only = any(weak and value == current for weak, value in _tags(self.raw))
            raise PreconditionFailed(
                f"The resource is at version {current_version} (ETag {etag(current_version)}), "
                f"not {self.raw.strip()}; "
                + (
                    "If-Match compares strongly and a weak tag (W/) never matches: send the "
                    "ETag exactly as received"
                    if weak_only
                    else "GET it again and retry with the new ETag"
                )
            )

    def _check_if_none_match(self, current_version: int | None) -> None:
        if self.none_match is None or current_version is None:
            return
        if self.none_match.strip() == "*":
            raise PreconditionFailed(
                "If-None-Match: * asks to create only, and the resource exists "
                f"(at version {current_version}); nothing was changed"
            )
        if any(value == str(current_version) for _, value in _tags(self.none_match)):
            raise PreconditionFailed(
                f"If-None-Match names the current version {etag(current_version)}; "
                "nothing was changed"
            )
