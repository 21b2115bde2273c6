"""`halsosupport simulate` reads the recorded reports from the real broker and prints, per month
and department, what another policy would have fired next to the active one."""

import os
import subprocess
import sys
from datetime import date, timedelta

from schemas.envelope import OrgRef
from services.triggers.policy import POLICY_DIR
from tests.integration.test_triggers_worker import reports
from tests.support import publish, random_id


def test_simulate_prints_both_policies_side_by_side(kafka_bootstrap, tmp_path):
    department = random_id("d")
    org = OrgRef(workplace_id="w", department_id=department, manager_id="m")
    days = [date(2026, 1, 5) + timedelta(days=30 * n) for n in range(6)]
    history = [e.model_copy(update={"org": org}) for e in reports(random_id("e"), days)]
    publish(kafka_bootstrap, *history)
    env = {**os.environ, "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "COLUMNS": "200"}
    command = [sys.executable, "-m", "halsosupport.cli", "simulate"]
    done = subprocess.run(
        [*command, "--policy", str(POLICY_DIR / "six-in-twelve.toml"),
         "--from", "2026-01-01", "--to", "2026-12-31"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    mine = [line.split("│") for line in done.stdout.splitlines() if department in line]
    rows = {
        (cells[1].strip(), cells[3].strip()): (cells[4].strip(), cells[5].strip()) for cells in mine
    }
    assert rows[("2026-04", "omtankesamtal")] == ("1", "0")
    assert rows[("2026-06", "repeated_absence")] == ("0", "1")
    assert "halsosupport-2.0@2" in done.stdout and "six-in-twelve@1" in done.stdout

    refused = subprocess.run(
        [*command, "--policy", str(tmp_path / "none.toml"), "--from", "2026-13-01", "--to", "x"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "dates like" in refused.stderr
