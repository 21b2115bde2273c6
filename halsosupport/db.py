"""Database engines and migrations, one database per service.

SQLite (the default) gives each service its own file; PostgreSQL gives each its own schema in
one database, selected through `search_path`, so services never share a table.
"""

import re
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from halsosupport.settings import CommonSettings

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class DatabaseConfigError(ValueError):
    """The configured database URL cannot be used as given."""


def database_unavailable(error: BaseException) -> bool:
    """The database is away (down, restarting, unreachable, every pooled connection busy), not
    at fault for this request: worth trying again shortly."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, OperationalError | PoolTimeout)


def service_database_url(url_template: str, service: str) -> str:
    """The URL for one service: `{service}` replaced; a SQLite URL must contain it."""
    url = url_template.replace("{service}", service)
    if url.startswith("sqlite") and "{service}" not in url_template and ":memory:" not in url:
        raise DatabaseConfigError(
            f"SQLite URL {url_template!r} would make every service share one file; "
            "put {service} in it, e.g. sqlite:///var/db/{service}.sqlite3"
        )
    return url


def make_engine(url: str, *, schema: str) -> Engine:
    """An engine for one service. SQLite gets WAL and a busy timeout; PostgreSQL a schema."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _sqlite_pragmas_and_immediate_transactions(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if not _SCHEMA_NAME.match(schema):
            raise DatabaseConfigError(f"schema name {schema!r} is not a plain lower-case name")
        engine = sa.create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"options": f"-csearch_path={schema}"},
        )
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        return engine
    raise DatabaseConfigError(f"unsupported database {parsed.get_backend_name()!r}")


def _sqlite_pragmas_and_immediate_transactions(engine: Engine) -> None:
    """WAL lets readers run beside the writer; BEGIN IMMEDIATE takes the write lock up front,
    so a read-then-write transaction never fails half-way with 'database is locked'."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def migrate(engine: Engine, migrations_dir: Path) -> None:
    """Bring the service's database to the newest Alembic revision."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def alembic_config(engine: Engine, migrations_dir: Path) -> Config:
    """An Alembic config bound to `engine`, for `alembic check` in tests and autogenerate."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


class UnitOfWork:
    """One database transaction: `with Uow(engine) as uow: ...; uow.commit()`. Leaving the block
    without commit rolls back. Services subclass it with their queries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> Self:
        self.session = Session(self.engine, expire_on_commit=False)
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed without expiring loaded rows, so results
        # stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        self.session.commit()


def service_engine(settings: CommonSettings, service: str, migrations_dir: Path) -> Engine:
    """The service's own database from the common settings, migrated to the newest revision."""
    engine = make_engine(
        service_database_url(settings.database_url, service),
        schema=settings.database_schema_prefix + service,
    )
    migrate(engine, migrations_dir)
    return engine


def run_alembic_env(context, target_metadata: sa.MetaData) -> None:  # type: ignore[no-untyped-def]
    """The body of every service's migrations/env.py: online migrations on the given connection."""
    attributes = context.config.attributes
    connection = attributes.get("connection")
    if connection is None:
        with attributes["engine"].connect() as connection:
            _configure_and_run(context, connection, target_metadata)
    else:
        _configure_and_run(context, connection, target_metadata)


def _configure_and_run(context, connection, target_metadata):  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
