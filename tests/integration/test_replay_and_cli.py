"""`halsosupport replay` rebuilds a broker that lost its data; `halsosupport import-directory`
reports problems as a table and imports a good export."""

import os
import subprocess
import sys
from pathlib import Path

from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from schemas import decode
from schemas.topics import DIRECTORY, REPORTS
from services.intake.adapters.outbox_relay import replay
from services.intake.bootstrap import build_engine
from tests.support import events_on, eventually, read_topic

EXAMPLE = Path(__file__).parents[2] / "examples" / "directory"


def test_replay_puts_every_recorded_event_on_an_empty_broker_in_order(intake, kafka_bootstrap):
    intake.sick("Anna Andersson", sick_from="2026-11-18")
    intake.well("Anna Andersson", well_from="2026-11-20")
    intake.sick("Bertil Berg")
    anna = intake.employees["Anna Andersson"]
    eventually(lambda: intake.client.get("/healthz").json()["outbox"]["unpublished"] == 0)
    fresh = EmbeddedBroker(port=free_port()).start()  # the broker that lost everything
    engine = build_engine(intake.settings)
    progress: list[tuple[int, int]] = []
    try:
        done = replay(
            engine, fresh.bootstrap_servers, on_progress=lambda n, t: progress.append((n, t))
        )
        reports = [decode(v) for k, v in read_topic(fresh.bootstrap_servers, REPORTS)]
        directory = read_topic(fresh.bootstrap_servers, DIRECTORY)
        original = events_on(kafka_bootstrap, REPORTS, anna)
    finally:
        engine.dispose()
        fresh.stop()
    assert done == len(reports) + len(directory) and progress[-1] == (done, done)
    assert len(reports) == 3 and len(directory) == 8
    annas = [e.event_type for e in reports if e.employee_id == anna]
    assert annas == ["SickReported", "WellReported"]
    replayed = [e.event_id for e in reports if e.employee_id == anna]
    assert replayed == [e.event_id for e in original]  # the very same events, in order


def run_cli(*args: str, database) -> subprocess.CompletedProcess:
    env = {**os.environ, "HALSOSUPPORT_DATABASE_URL": database.url,
           "HALSOSUPPORT_DATABASE_SCHEMA_PREFIX": database.schema_prefix}  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "halsosupport.cli", *args], env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_the_import_command_shows_problems_and_imports_a_good_export(database, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    for file in EXAMPLE.glob("*.csv"):
        (bad / file.name).write_text(file.read_text().replace("070-111 22 33", "nej"))
    refused = run_cli("import-directory", str(bad), database=database)
    assert refused.returncode == 1
    assert "Nothing imported" in refused.stderr and "'nej' is not a valid phone" in refused.stderr
    dry = run_cli("import-directory", str(EXAMPLE), "--dry-run", database=database)
    assert dry.returncode == 0, dry.stderr
    assert "would change" in dry.stdout and "employees added 8" in dry.stdout
    done = run_cli("import-directory", *map(str, EXAMPLE.glob("*.csv")), "--effective-from",
                   "2026-11-01", database=database)  # fmt: skip
    assert done.returncode == 0 and "employees added 8" in done.stdout
    again = run_cli(
        "import-directory", str(EXAMPLE), "--effective-from", "2026-11-01", database=database
    )
    assert "employees added 0" in again.stdout and "employees changed 0" in again.stdout
