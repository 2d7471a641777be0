"""Every difference between SQLite and PostgreSQL, in one place.

The rest of the code asks these functions instead of testing a dialect's name itself:
how an engine is made and how its transactions begin, how many rows go into a table at
once, and which locks serialise what the two databases would otherwise interleave.
"""

import os
import shutil
from collections.abc import Iterator, Sequence
from typing import Any, Literal, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    create_engine,
    event,
    text,
    true,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import InstrumentedAttribute, Session


def is_sqlite(bind: Connection | Engine | Session) -> bool:
    """Whether `bind` talks to SQLite (otherwise PostgreSQL)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "sqlite"


def create(
    url: str,
    *,
    busy_timeout_ms: int,
    pool_size: int,
    max_overflow: int,
    lock_timeout_ms: int | None = None,
) -> Engine:
    """An engine for `url`. SQLite: WAL, foreign keys on, writers waiting `busy_timeout_ms`
    for the write lock, and `BEGIN IMMEDIATE` for sessions marked `sqlite_immediate`.
    PostgreSQL: a pool checked before use, so a restarted server costs one retry, and a
    statement waiting longer than `lock_timeout_ms` for a lock (a write queued behind a long
    import) fails, to be answered 503 with Retry-After rather than hang."""
    if not url.startswith("sqlite"):
        connect_args = (
            {"options": f"-c lock_timeout={int(lock_timeout_ms)}"}
            if lock_timeout_ms is not None
            else {}
        )
        return create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=True,
            connect_args=connect_args,
        )
    database = make_url(url).database
    in_memory = not database or database == ":memory:" or "mode=memory" in url
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        # An in-memory database lives in one connection per thread: no pool to size.
        **({} if in_memory else {"pool_size": pool_size, "max_overflow": max_overflow}),
    )
    _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write that starts as a reader and later upgrades its lock gets SQLITE_BUSY at
        # once, without waiting for busy_timeout. Writers therefore take the lock up front.
        if connection.get_execution_options().get("sqlite_immediate"):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


def lock_transaction(bind: Connection | Session, name: str) -> None:
    """Serialise transactions that take the lock `name` until they end.

    PostgreSQL: a transaction-level advisory lock. SQLite needs none: a writer already
    holds the database's one write lock from its BEGIN IMMEDIATE.
    """
    if is_sqlite(bind):
        return
    bind.execute(text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


_Columns = TypeVarTuple("_Columns")


def skip_locked(bind: Connection | Session, stmt: Select[*_Columns], of: Any) -> Select[*_Columns]:
    """`stmt` made to claim rows of `of` for this transaction: rows another transaction is
    claiming are skipped rather than waited for, never claimed twice.

    PostgreSQL: `SELECT ... FOR UPDATE OF <of> SKIP LOCKED`. SQLite: as it is: a writer
    holds the database's one write lock from its BEGIN IMMEDIATE, so claims run one at a
    time and the claim's own condition (a lease already past) excludes claimed rows.
    """
    if is_sqlite(bind):
        return stmt
    return stmt.with_for_update(skip_locked=True, of=of)


def send_rows(
    connection: Connection, target: str, columns: int, values: Iterator[tuple[Any, ...]]
) -> bool:
    """Send already-bound rows into `target` (`"table" ("a", "b")`) the cheapest way the
    driver has: COPY on PostgreSQL (psycopg), the driver's executemany on SQLite. False when
    the driver has neither (the caller then uses an ordinary INSERT)."""
    dialect = connection.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        _copy(connection, f"COPY {target} FROM STDIN", values)
        return True
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        # Names from the table's metadata, quoted by the caller.
        sql = f"INSERT INTO {target} VALUES ({', '.join('?' * columns)})"  # noqa: S608
        connection.exec_driver_sql(sql, list(values))
        return True
    return False


def can_send_rows(connection: Connection) -> bool:
    """Whether `send_rows` has a fast path for this connection's driver."""
    dialect = connection.dialect
    return (dialect.name == "postgresql" and dialect.driver == "psycopg") or (
        dialect.name == "sqlite" and dialect.paramstyle == "qmark"
    )


def _copy(connection: Connection, statement: str, values: Iterator[tuple[Any, ...]]) -> None:
    dialect = connection.dialect
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    try:
        with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except dialect.loaded_dbapi.Error as error:
        # Raised as the engine would raise it: the app answers SQLAlchemy's errors.
        raise DBAPIError.instance(
            statement, None, error, dialect.loaded_dbapi.Error, dialect=dialect
        ) from error


def starts_with(
    bind: Session, column: ColumnElement[str] | InstrumentedAttribute[str], prefix: str
) -> ColumnElement[bool]:
    """`column` starts with `prefix`, written so that an index on the column serves it.

    SQLite: a range (its LIKE ignores case, so it never uses an index; the BINARY collation
    makes the range exact). PostgreSQL: LIKE, which an index with `text_pattern_ops`
    serves whatever the database's collation (a range would not be exact under a
    linguistic one).
    """
    if not prefix:
        return true()
    if is_sqlite(bind):
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(column >= prefix, column < after)
    return column.startswith(prefix, autoescape=True)


StorageTrouble = Literal["full", "busy", "unavailable"]

# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_FULL = frozenset({"53100"})  # disk_full
_PG_BUSY = frozenset({"55P03", "40P01", "40001", "57014"})  # lock timeout, deadlock, ...
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57")  # connection, insufficient resources, shutdown
_SQLITE_FULL = ("database or disk is full",)
_SQLITE_BUSY = ("database is locked", "database table is locked")
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error", "readonly database")


def storage_trouble(error: SQLAlchemyError) -> StorageTrouble | None:
    """What kind of trouble with the database `error` shows, if any:

    - `full`: the disk (or the database's size limit) is full: nothing more can be written;
    - `busy`: a lock was not granted in time (a long import holds it), or a deadlock or
      serialisation failure: the same request can be retried;
    - `unavailable`: no connection (refused, "too many clients", the pool exhausted, the
      server restarting or gone): retry later.

    None for an error that is not about storage (a constraint, a bug)."""
    if isinstance(error, PoolTimeout):
        return "unavailable"
    if not isinstance(error, DBAPIError):
        return None
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None)
    message = str(original).lower()
    if isinstance(sqlstate, str):  # PostgreSQL (psycopg)
        if sqlstate in _PG_FULL:
            return "full"
        if sqlstate in _PG_BUSY:
            return "busy"
        if sqlstate.startswith(_PG_UNAVAILABLE_CLASSES):
            return "unavailable"
        return None
    if any(text in message for text in _SQLITE_FULL) or "no space left" in message:
        return "full"
    if any(text in message for text in _SQLITE_BUSY):
        return "busy"
    if (
        error.connection_invalidated
        or any(text in message for text in _SQLITE_UNAVAILABLE)
        or type(original).__name__ in {"OperationalError", "InterfaceError"}
    ):
        # psycopg's failures to connect carry no SQLSTATE: "connection failed: ...
        # sorry, too many clients already", "Connection refused".
        return "unavailable"
    return None


def free_disk_bytes(engine: Engine) -> int | None:
    """Free bytes on the disk holding an SQLite database file; None where this process
    cannot tell (PostgreSQL's disk is the server's, an in-memory database has none)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or "mode=memory" in str(engine.url):
        return None
    folder = os.path.dirname(os.path.abspath(database))
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def group_concat_orders_by_scan(bind: Session) -> bool:
    """Whether the component pass of the findings report should group the joined rows by
    component in one scan (SQLite) rather than aggregate the cells first (PostgreSQL)."""
    return is_sqlite(bind)


__all__: Sequence[str] = (
    "can_send_rows",
    "create",
    "free_disk_bytes",
    "group_concat_orders_by_scan",
    "is_sqlite",
    "lock_transaction",
    "send_rows",
    "skip_locked",
    "starts_with",
    "storage_trouble",
)
