"""What every process that opens the database installs on it, whether it serves HTTP
(`create_app`) or runs a command (`raci keys`, `raci demo`): the governance reviews that
changes open, the audit trail, the API key check, the lock a PUT takes on every session, and
the webhooks' outbox. The database layer itself knows no domain."""

from app.audit.recorder import install as install_audit
from app.auth.cache import install as install_key_check
from app.core.config import Settings
from app.db.engine import Database, SessionHook, make_engine
from app.db.locks import install as install_begin_lock
from app.reviews.triggers import install as install_review_triggers
from app.webhooks.events import install as install_webhook_events

# In this order on every transaction's begin: the caller's key is checked first, then a
# PUT takes its resource's lock (app.deps). At commit the reviews a change opens are added
# before the audit trail reads what the transaction changed, and the webhooks' events follow
# the audit trail, whose entries they are made from.
SESSION_HOOKS: tuple[SessionHook, ...] = (
    install_review_triggers,
    install_audit,
    install_key_check,
    install_begin_lock,
    install_webhook_events,
)


def wire(database: Database) -> Database:
    """`database` with the session hooks installed (installing twice does nothing)."""
    database.install(SESSION_HOOKS)
    return database


def open_database(settings: Settings) -> Database:
    """The database `settings` name, wired."""
    return wire(
        Database(
            make_engine(
                settings.database_url,
                busy_timeout_ms=settings.sqlite_busy_timeout_ms,
                pool_size=settings.db_pool_size,
                lock_timeout_ms=settings.lock_timeout_ms,
            )
        )
    )
