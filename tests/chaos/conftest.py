"""Fault scenarios on the whole system: `make chaos` runs them at full size, `make test` (and so
CI) with small sizes (CHAOS_SMALL=1 is the default; CHAOS_SMALL=0 for the full run)."""

import os
from collections.abc import Iterator

import pytest

from tests.chaos.harness import ChaosDatabase, ChaosSystem

SMALL = os.environ.get("CHAOS_SMALL", "1") != "0"


@pytest.fixture
def chaos(tmp_path) -> Iterator[ChaosSystem]:
    """The system on SQLite files, as `make run` keeps it."""
    system = ChaosSystem(
        var_dir=tmp_path / "var",
        database=ChaosDatabase(f"sqlite:///{tmp_path}/var/db/{{service}}.sqlite3"),
    )
    try:
        yield system.start()
    finally:
        system.stop()
