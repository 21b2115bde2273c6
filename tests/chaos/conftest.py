"""Fault scenarios on the whole system: `make chaos` runs them at full size, `make test` (and so
CI) with small sizes (CHAOS_SMALL=1 is the default; CHAOS_SMALL=0 for the full run)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos.harness import ChaosDatabase, ChaosSystem

SMALL = os.environ.get("CHAOS_SMALL", "1") != "0"
LOG_TAIL_LINES = 60


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's outcome on the test, so a fixture can tell that its test failed."""
    report = yield
    setattr(item, f"outcome_{report.when}", report)
    return report


@pytest.fixture
def chaos(request, tmp_path) -> Iterator[ChaosSystem]:
    """The system on SQLite files, as `make run` keeps it."""
    system = ChaosSystem(
        var_dir=tmp_path / "var",
        database=ChaosDatabase(f"sqlite:///{tmp_path}/var/db/{{service}}.sqlite3"),
    )
    try:
        yield system.start()
    finally:
        system.stop()
        call = getattr(request.node, "outcome_call", None)
        if call is not None and call.failed:
            print_log_tails(tmp_path / "var" / "log")


def print_log_tails(log_dir: Path) -> None:
    """A failed scenario's processes are gone with their state: their logs are what tells why."""
    for log in sorted(log_dir.glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
        print(f"----- {log.name}: last {len(lines)} lines -----")  # noqa: T201
        print("\n".join(lines))  # noqa: T201
