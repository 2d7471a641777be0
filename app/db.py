"""Engine, sessions and the declarative base shared by every domain."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    declared_attr,
    mapped_column,
    sessionmaker,
)
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from app.loop_reads import loop_reads_for

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware.

    SQLite has no time zones, so without this a value read back would be naive.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Timestamped:
    """`created_at` and `updated_at`, set by the application so both databases agree."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


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


def make_engine(
    url: str, *, busy_timeout_ms: int = 30_000, pool_size: int = 10, max_overflow: int | None = None
) -> Engine:
    """An engine for `url`, with SQLite made safe for concurrent requests.

    Up to `pool_size` connections are kept open and as many again (`max_overflow`) opened
    for bursts. A request holds at most one at a time (app.deps), so a burst larger than
    the pool queues for connections rather than deadlocking on them.
    """
    overflow = pool_size if max_overflow is None else max_overflow
    if url.startswith("sqlite"):
        database = make_url(url).database
        in_memory = not database or database == ":memory:" or "mode=memory" in url
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
            # An in-memory database lives in one connection per thread: no pool to size.
            **({} if in_memory else {"pool_size": pool_size, "max_overflow": overflow}),
        )
        _configure_sqlite(engine, busy_timeout_ms)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=overflow, pool_pre_ping=True)


class Database:
    """An engine with its read and write session factories."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_sessions = sessionmaker(engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(
            engine.execution_options(sqlite_immediate=True), expire_on_commit=False
        )
        # Imported here: the recorder needs every model, and the models need this module.
        from app.audit.recorder import install as install_audit
        from app.keys.cache import KeyCache
        from app.keys.cache import install as install_key_check

        self.key_cache = KeyCache()
        for sessions in (self.read_sessions, self.write_sessions):
            install_audit(sessions)
            install_key_check(sessions)
        pool_size = engine.pool.size() if isinstance(engine.pool, QueuePool) else 1
        self.loop_reads = loop_reads_for(
            engine, pool_size=pool_size, configure_sqlite=_configure_sqlite
        )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        self.loop_reads.dispose()

    def session(self, *, write: bool) -> Session:
        return (self.write_sessions if write else self.read_sessions)()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        with self.session(write=write) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


class Versioned(Timestamped):
    """Optimistic locking: `version` starts at 1 and every UPDATE raises it by one.

    SQLAlchemy adds `WHERE version = <loaded>` to each UPDATE, so a concurrent change
    makes the flush fail (StaleDataError) instead of silently overwriting it.
    """

    version: Mapped[int] = mapped_column(nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
