"""Each service's Alembic migrations build exactly the tables its models describe, on SQLite and
PostgreSQL, and running them twice changes nothing."""

import pytest
from alembic import command
from alembic.util.exc import CommandError

from halsosupport.db import alembic_config, make_engine, migrate, service_database_url
from services.cases.bootstrap import MIGRATIONS as CASES
from services.intake.bootstrap import MIGRATIONS as INTAKE
from services.notifier.bootstrap import MIGRATIONS as NOTIFIER
from services.stats.bootstrap import MIGRATIONS as STATS


@pytest.mark.parametrize(
    ("service", "migrations"),
    [("intake", INTAKE), ("notifier", NOTIFIER), ("stats", STATS), ("cases", CASES)],
)
def test_migrations_match_the_models(database, service, migrations):
    engine = make_engine(
        service_database_url(database.url, service), schema=database.schema_prefix + service
    )
    try:
        migrate(engine, migrations)
        migrate(engine, migrations)  # idempotent at head
        try:
            command.check(alembic_config(engine, migrations))
        except CommandError as error:
            pytest.fail(
                f"models and migrations differ; run `halsosupport new-migration {service} MSG`"
                f": {error}"
            )
    finally:
        engine.dispose()
