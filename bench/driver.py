"""The database driver on its own (sqlite3, or a psycopg connection): the floors the app is
measured against, with neither SQLAlchemy nor the app in the way.

- `fetch_cells`: `SELECT component_id, role, raci FROM raci_cell`, every row fetched with
  the driver's own `fetchall()`: the least work any report on the cells can do;
- `write_rows`: the rows of an import written the fastest way each driver has: COPY on
  PostgreSQL (psycopg's `cursor.copy()`), `executemany` on SQLite, in one transaction;
- `wipe`: empties the portfolio tables between import runs (not timed).
"""

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg

from bench.generate import COLUMNS, Portfolio, Row
from bench.load import PORTFOLIO_TABLES

# What bench.load.wipe empties (bench.load.PORTFOLIO_TABLES, children first); keys, roles
# seeded by migrations and rule settings stay.
EXTRA_ROLES = ("CTO", "COO", "CFO", "CHRO")


@dataclass
class Driver:
    """A plain DB-API connection and the kind of database it speaks to."""

    kind: str  # "sqlite" | "postgresql"
    connection: Any  # sqlite3.Connection | psycopg.Connection

    def cursor(self) -> Any:
        return self.connection.cursor()

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows
        finally:
            cursor.close()


def conninfo(url: str) -> str:
    """A libpq connection string for a `postgresql+psycopg://` SQLAlchemy URL."""
    return "postgresql://" + url.split("://", 1)[1]


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///")


@contextmanager
def connect(url: str) -> Iterator[Driver]:
    """The driver's own connection to the database at `url` (a SQLAlchemy URL)."""
    if url.startswith("sqlite"):
        # isolation_level=None: autocommit, so that a read takes no lock past itself;
        # writers BEGIN themselves. synchronous=NORMAL, as the app's connections use.
        lite = sqlite3.connect(sqlite_path(url), isolation_level=None, timeout=60)
        lite.execute("PRAGMA foreign_keys=ON")
        lite.execute("PRAGMA synchronous=NORMAL")
        try:
            yield Driver("sqlite", lite)
        finally:
            lite.close()
        return
    # autocommit: each read is its own statement, no transaction left open between reads;
    # writers open one with `transaction()`.
    pg = psycopg.connect(conninfo(url), autocommit=True)
    try:
        yield Driver("postgresql", pg)
    finally:
        pg.close()


def fetch_cells(driver: Driver) -> int:
    """Every RACI cell, fetched whole: the findings floor. Returns the number of rows."""
    return len(driver.rows("SELECT component_id, role, raci FROM raci_cell"))


def _sqlite_value(value: Any) -> Any:
    # The storage formats of SQLAlchemy's SQLite DateTime and Date types.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def prepared_rows(kind: str, portfolio: Portfolio, tables: Sequence[str]) -> dict[str, list[Row]]:
    """The rows of `tables` as the driver takes them (dates as text on SQLite), prepared
    before any timing so that the floor does only the writing."""
    if kind == "postgresql":
        return {table: portfolio.rows[table] for table in tables}
    return {
        table: [tuple(_sqlite_value(v) for v in row) for row in portfolio.rows[table]]
        for table in tables
    }


def write_rows(driver: Driver, rows: dict[str, list[Row]]) -> None:
    """The import floor: the rows, table by table, in one transaction (COPY on
    PostgreSQL, executemany on SQLite)."""
    if driver.kind == "postgresql":
        with driver.connection.transaction(), driver.cursor() as cursor:
            for table, table_rows in rows.items():
                names = ", ".join(COLUMNS[table])
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
        return
    lite: sqlite3.Connection = driver.connection
    lite.execute("BEGIN")
    try:
        for table, table_rows in rows.items():
            columns = COLUMNS[table]
            marks = ", ".join("?" for _ in columns)
            lite.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                table_rows,
            )
        lite.execute("COMMIT")
    except BaseException:
        lite.execute("ROLLBACK")
        raise


def wipe(driver: Driver) -> None:
    """Empty the portfolio tables (and the audit trail) and drop the generator's extra
    roles; API keys, seeded roles and rule settings stay."""
    extra = ", ".join(f"'{code}'" for code in EXTRA_ROLES)
    if driver.kind == "postgresql":
        with driver.connection.transaction(), driver.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(PORTFOLIO_TABLES)}")
            cursor.execute(f"DELETE FROM role WHERE code IN ({extra})")  # noqa: S608
        return
    lite: sqlite3.Connection = driver.connection
    lite.execute("BEGIN")
    for table in PORTFOLIO_TABLES:
        lite.execute(f"DELETE FROM {table}")  # noqa: S608
    lite.execute(f"DELETE FROM role WHERE code IN ({extra})")  # noqa: S608
    lite.execute("COMMIT")
