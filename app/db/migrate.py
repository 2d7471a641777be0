"""Programmatic Alembic: bring a database to the newest migration, or say where it stands.

The migrations are not part of the installed `app` package, so they are looked for next to
it (a checkout or an editable install, whatever the working directory) and then in the
working directory (the Docker image installs the package and keeps `migrations/` in its
WORKDIR).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

import app
from app.db.engine import make_engine


class MigrationsNotFound(RuntimeError):
    """Neither next to the package nor in the working directory is there a migrations folder."""


def _candidates() -> list[Path]:
    package_parent = Path(app.__file__).resolve().parent.parent
    return list(dict.fromkeys([package_parent, Path.cwd().resolve()]))


def project_dir() -> Path:
    """The folder holding `migrations/` (and usually `alembic.ini`)."""
    candidates = _candidates()
    for folder in candidates:
        migrations = folder / "migrations"
        if (migrations / "env.py").is_file() and (migrations / "versions").is_dir():
            return folder
    looked = " and ".join(str(folder) for folder in candidates)
    raise MigrationsNotFound(
        f"No migrations folder found in {looked}; run from the project folder "
        "(the one with alembic.ini and migrations/)"
    )


def alembic_config(url: str) -> Config:
    """Alembic's configuration for `url`, independent of the working directory."""
    root = project_dir()
    ini = root / "alembic.ini"
    config = Config(str(ini)) if ini.is_file() else Config()
    # Absolute, so that a relative `script_location` never depends on the working directory.
    config.set_main_option("script_location", str(root / "migrations"))
    config.attributes["database_url"] = url
    # The command line reports in its own words; Alembic's log lines would only add noise.
    config.attributes["configure_logging"] = False
    return config


def heads() -> tuple[str, ...]:
    """The newest revision(s) of the migration scripts; exactly one when the history is sane."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return tuple(script.get_heads())


def head() -> str:
    found = heads()
    if len(found) != 1:
        raise RuntimeError(
            f"The migrations have {len(found)} heads ({', '.join(found)}); merge them"
        )
    return found[0]


@contextmanager
def _connection(url: str) -> Iterator[Connection]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def current(url: str) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    with _connection(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> str | None:
    """Migrate the database at `url` to `revision`; the revision it is at afterwards."""
    command.upgrade(alembic_config(url), revision)
    return current(url)


def downgrade(url: str, revision: str) -> str | None:
    command.downgrade(alembic_config(url), revision)
    return current(url)
