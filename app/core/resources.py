"""Mechanics shared by every keyed resource: identity checks, merge patch, reference conflicts."""

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.core.errors import Conflict, Unprocessable, loc_path

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_NAMED_REFERENCES = 20


def check_identity(field: str, in_path: str, in_body: str | None) -> None:
    """A body may repeat the key of its URL, but not name another resource."""
    if in_body is not None and in_body != in_path:
        raise Unprocessable.at(
            ["body", field], f"is '{in_body}' but the URL names '{in_path}'; keys cannot be changed"
        )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge recursively, null removes, the rest replaces."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def validate_as(
    model: type[ModelT], data: Any, *, loc_prefix: Sequence[str | int] = ("body",)
) -> ModelT:
    """`data` validated as `model`, with failures answered as a 422 like a request body's."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise unprocessable_from(exc, loc_prefix) from None


def unprocessable_from(exc: ValidationError, loc_prefix: Sequence[str | int] = ()) -> Unprocessable:
    errors = [{"loc": [*loc_prefix, *error["loc"]], "msg": error["msg"]} for error in exc.errors()]
    return Unprocessable(summarise(errors), errors)


def summarise(errors: Sequence[Mapping[str, Any]]) -> str:
    """One line for a problem's `detail` from a list of `{"loc", "msg"}` errors."""
    if not errors:
        return "The request is not valid"
    first = errors[0]
    where = loc_path(first["loc"])
    text = f"{where}: {first['msg']}" if where else str(first["msg"])
    return text if len(errors) == 1 else f"{text} (and {len(errors) - 1} more)"


def raise_if_referenced(what: str, references: Mapping[str, Sequence[str]]) -> None:
    """409 naming whatever still refers to the resource about to be deleted."""
    named = {kind: list(keys) for kind, keys in references.items() if keys}
    if not named:
        return
    parts = []
    for kind, keys in named.items():
        shown = ", ".join(keys[:MAX_NAMED_REFERENCES])
        more = (
            f" and {len(keys) - MAX_NAMED_REFERENCES} more"
            if len(keys) > MAX_NAMED_REFERENCES
            else ""
        )
        parts.append(f"{kind} {shown}{more}")
    raise Conflict(
        f"{what} is still referenced by {'; '.join(parts)}. Remove those references first.",
        references={kind: keys[:MAX_NAMED_REFERENCES] for kind, keys in named.items()},
    )
