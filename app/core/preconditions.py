"""ETag and If-Match: optimistic concurrency for clients."""

from dataclasses import dataclass

from app.core.errors import PreconditionFailed


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class IfMatch:
    """The parsed If-Match header: None (absent), `*`, or a set of versions."""

    raw: str | None

    def _versions(self) -> set[str]:
        assert self.raw is not None
        tags = (tag.strip() for tag in self.raw.split(","))
        return {tag.removeprefix("W/").strip('"') for tag in tags if tag}

    def check(self, current_version: int | None) -> None:
        """Raise 412 unless the header is absent or names the current version."""
        if self.raw is None:
            return
        if current_version is None:
            raise PreconditionFailed("If-Match was given but the resource does not exist")
        if self.raw.strip() == "*":
            return
        if str(current_version) not in self._versions():
            raise PreconditionFailed(
                f"The resource is at version {current_version}, not {self.raw.strip()}; "
                "GET it again and retry with the new ETag"
            )
