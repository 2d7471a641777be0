"""Unknown query parameters are refused: a typo in a filter must not silently match everything."""

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.core.errors import Unprocessable

_cache: dict[int, frozenset[str]] = {}


def _known(route: APIRoute) -> frozenset[str]:
    known = _cache.get(id(route))
    if known is None:
        known = frozenset(_query_names(route.dependant))
        _cache[id(route)] = known
    return known


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query_params(request: Request) -> None:
    """422 naming each query parameter the matched route does not take.

    Called by the key check (app.deps.require) once the key is known, so that a caller
    without one learns nothing, not even the parameter names.
    """
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    unknown = sorted(set(request.query_params) - _known(route))
    if unknown:
        raise Unprocessable(
            f"Unknown query parameter {', '.join(repr(name) for name in unknown)}",
            [
                {"loc": ["query", name], "msg": "is not a parameter of this endpoint"}
                for name in unknown
            ],
        )
