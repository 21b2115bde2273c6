"""Alembic environment of the intake database (migrations run at start-up)."""

from alembic import context

from halsosupport.db import run_alembic_env
from services.intake.adapters.tables import metadata

run_alembic_env(context, metadata)
