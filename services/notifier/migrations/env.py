"""Alembic environment of the notifier database (migrations run at start-up)."""

from alembic import context

from halsosupport.db import run_alembic_env
from services.notifier.adapters.tables import metadata

run_alembic_env(context, metadata)
