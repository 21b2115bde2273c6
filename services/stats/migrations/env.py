"""Alembic environment of the stats database (migrations run at start-up)."""

from alembic import context

from halsosupport.db import run_alembic_env
from services.stats.adapters.tables import metadata

run_alembic_env(context, metadata)
