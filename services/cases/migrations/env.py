"""Alembic environment of the cases database (migrations run at start-up)."""

from alembic import context

from halsosupport import audit
from halsosupport.db import run_alembic_env
from services.cases.adapters.tables import metadata

# The audit log is the same table in every service's database (halsosupport.audit).
run_alembic_env(context, [metadata, audit.metadata])
