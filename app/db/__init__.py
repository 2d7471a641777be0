"""The database: declarative base, engine and sessions, migrations, bulk statements and
every SQLite/PostgreSQL difference (dialect.py). Imports no domain."""
