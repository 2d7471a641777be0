"""Fresh databases for the benchmark, migrated with the project's migrations, and fast loads.

The one module of bench/ that imports the application (`app.migrate`, `app.db`):
every other module reaches the app's code through this one, or through HTTP.

SQLite: a file in a temporary folder, loaded with the driver's executemany in large
batches in one transaction. PostgreSQL: a new database on the server (dropped afterwards),
loaded with COPY, its id sequences moved past the loaded ids and ANALYZEd (autovacuum would
do the same shortly after a bulk load; SQLite is left as the application leaves it).
"""

import itertools
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.db import migrate
from app.db.engine import make_engine
from bench.generate import AUDIT_COLUMNS, COLUMNS, ID_TABLES, LOAD_ORDER, Portfolio, Row

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1/postgres"
SQLITE_BATCH = 50_000
PORTFOLIO_TABLES = (
    "audit_entry",
    "review_participant",
    "review",
    "webhook_kpi_status",
    "measurement",
    "kpi_initiative",
    "kpi_owner",
    "kpi",
    "raci_cell",
    "component",
    "initiative_tag",
    "initiative",
    "capability",
)


@contextmanager
def fresh_database(db: str, pg_url: str = DEFAULT_PG_URL, tag: str = "") -> Iterator[str]:
    """The URL of a new, migrated, empty database; removed afterwards."""
    if db == "sqlite":
        with tempfile.TemporaryDirectory(prefix="raci-bench-") as folder:
            url = f"sqlite:///{Path(folder) / f'bench{tag}.db'}"
            migrate.upgrade(url)
            yield url
        return
    if db != "postgresql":
        raise ValueError(f"unknown database kind {db!r}")
    name = f"raci_bench{tag}_{uuid.uuid4().hex[:8]}".lower()
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url, pool_size=2)
    try:
        yield engine
    finally:
        engine.dispose()


def _sqlite_value(value: Any) -> Any:
    # The storage formats of SQLAlchemy's SQLite DateTime and Date types.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load(engine: Engine, portfolio: Portfolio) -> None:
    """Write every row of `portfolio` into the (empty, migrated) database, in one transaction."""
    if engine.dialect.name == "postgresql":
        _load_postgresql(engine, portfolio)
    else:
        _load_sqlite(engine, portfolio)


def _load_sqlite(engine: Engine, portfolio: Portfolio) -> None:
    with engine.begin() as connection:
        for table in LOAD_ORDER:
            rows = portfolio.rows[table]
            if not rows:
                continue
            columns = COLUMNS[table]
            # Columns holding dates or datetimes, converted the way SQLAlchemy would.
            temporal = [i for i, v in enumerate(rows[0]) if isinstance(v, date)]
            names, marks = ", ".join(columns), ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
            cache: dict[Any, Any] = {}
            for start in range(0, len(rows), SQLITE_BATCH):
                batch = rows[start : start + SQLITE_BATCH]
                if temporal:
                    converted = []
                    for row in batch:
                        values = list(row)
                        for i in temporal:
                            v = values[i]
                            if v is not None:
                                values[i] = cache.get(v) or cache.setdefault(v, _sqlite_value(v))
                        converted.append(tuple(values))
                    batch = converted
                connection.exec_driver_sql(statement, batch)


def _load_postgresql(engine: Engine, portfolio: Portfolio) -> None:
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        for table in LOAD_ORDER:
            rows = portfolio.rows[table]
            if not rows:
                continue
            with cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        for table in ID_TABLES:
            top = f"SELECT coalesce(max(id), 0) + 1 FROM {table}"  # noqa: S608
            connection.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({top}), false)"
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("ANALYZE")


def wipe(engine: Engine) -> None:
    """Empty the portfolio tables (and the audit trail); keys, roles and rules stay."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(PORTFOLIO_TABLES)}")
        else:
            for table in PORTFOLIO_TABLES:
                connection.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608
        extra = ", ".join(f"'{code}'" for code in ("CTO", "COO", "CFO", "CHRO"))
        connection.exec_driver_sql(f"DELETE FROM role WHERE code IN ({extra})")  # noqa: S608


def load_audit(engine: Engine, rows: Iterable[Row]) -> int:
    """Write audit entries (bench.generate.audit_rows) in one transaction, a batch at a
    time (they are generated lazily); on PostgreSQL the id sequence is moved past them.
    Returns how many were written."""
    written = 0
    columns = ", ".join(AUDIT_COLUMNS)
    iterator = iter(rows)
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
                for row in iterator:
                    copy.write_row(row)
                    written += 1
            connection.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('audit_entry', 'id'), "
                "(SELECT coalesce(max(id), 0) + 1 FROM audit_entry), false)"
            )
        else:
            marks = ", ".join("?" for _ in AUDIT_COLUMNS)
            statement = f"INSERT INTO audit_entry ({columns}) VALUES ({marks})"  # noqa: S608
            while batch := list(itertools.islice(iterator, SQLITE_BATCH)):
                connection.exec_driver_sql(
                    statement, [(i, _sqlite_value(at), *rest) for i, at, *rest in batch]
                )
                written += len(batch)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE audit_entry")
    return written
