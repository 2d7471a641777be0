"""A select compiled by SQLAlchemy for running on the driver's own connection.

For the few reads that use a driver feature SQLAlchemy has no API for (psycopg's asyncio
connections, its streamed results): SQLAlchemy still writes the SQL and converts the
results with the columns' own types, so the rows are those a Session would give.
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, Select

ResultProcessor = Callable[[Any], Any]


class DriverSelect:
    """`sql` and `params` in the driver's paramstyle; `convert` turns a driver row into
    the values SQLAlchemy would give.

    `render_postcompile`: expanding parameters (`IN` lists) are written out, so that
    `params` holds every value. Statements whose parameters need converting by their type
    are refused: nothing here would convert them."""

    def __init__(
        self,
        statement: Select[*tuple[Any, ...]],
        dialect: Dialect,
        *,
        render_postcompile: bool = False,
    ) -> None:
        compiled = statement.compile(
            dialect=dialect, compile_kwargs={"render_postcompile": render_postcompile}
        )
        for bind in compiled.binds.values():
            if bind.type.dialect_impl(dialect).bind_processor(dialect) is not None:
                raise ValueError(f"{bind.key!r} needs conversion: not for a driver read")
        self.sql = compiled.string
        self.params = compiled.params
        self.names = [str(column.key) for column in statement.selected_columns]
        processors: list[ResultProcessor | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        ]
        self.processors = processors if any(processors) else None

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if self.processors is None:
            return tuple(row)
        return tuple(
            value if process is None else process(value)
            for process, value in zip(self.processors, row, strict=True)
        )

    def mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        return dict(zip(self.names, self.convert(row), strict=True))
