"""Intake HTTP throughput under a real load generator: locust, headless, BENCH_INTAKE_USERS (20)
nurses for BENCH_INTAKE_SECONDS (30), each registering sick reports and the well reports that
close them (bench/intake_locustfile.py), as fast as the intake answers (no wait between tasks).

The intake runs alone with the embedded broker (memory storage) and its outbox relay, on SQLite
(or HALSOSUPPORT_DATABASE_URL), so the figures are the intake's own and not those of the other
services sharing the CPUs. Prints requests/s, failures and response times; run with
`make bench` (which installs locust, the `bench` extra).
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench.results import record
from halsosupport import processes
from halsosupport.auth import Role, issue_token
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.settings import CommonSettings
from halsosupport.supervisor import CLI, _wait_healthy

USERS = int(os.environ.get("BENCH_INTAKE_USERS", "20"))
SECONDS = int(os.environ.get("BENCH_INTAKE_SECONDS", "30"))
STAFF_PER_WORKPLACE = int(os.environ.get("BENCH_INTAKE_STAFF", "150"))  # 8 sick reports each
LOCUSTFILE = Path(__file__).with_name("intake_locustfile.py")


def start_intake(var_dir: Path) -> tuple[EmbeddedBroker, subprocess.Popen[bytes], str, dict]:
    broker = EmbeddedBroker(port=processes.free_port(), log_dir=var_dir / "log").start()
    port = processes.free_port()
    env = {
        **os.environ,
        "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
        "HALSOSUPPORT_INTAKE_PORT": str(port),
        "HALSOSUPPORT_LOG_FORMAT": "json",
        "HALSOSUPPORT_KAFKA_ONE_RECORD_PER_BATCH": "true",  # as `make run` starts it
    }
    env.setdefault("HALSOSUPPORT_DATABASE_URL", f"sqlite:///{var_dir}/db/{{service}}.sqlite3")
    subprocess.run(
        [*CLI, "seed-demo", "--employees-per-workplace", str(STAFF_PER_WORKPLACE)],
        env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    intake = processes.spawn([*CLI, "intake"], env=env, log_path=var_dir / "log" / "intake.log")
    try:
        _wait_healthy("intake", port, intake, var_dir / "log")
    except Exception:
        processes.stop(intake)
        broker.stop()
        raise
    return broker, intake, f"http://127.0.0.1:{port}", env


def employee_ids(base_url: str, token: str) -> list[str]:
    ids: list[str] = []
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        while True:
            page = client.get("/v1/employees", params={"limit": 500, "offset": len(ids)}).json()
            ids += [e["employee_id"] for e in page["items"]]
            if len(ids) >= page["total"] or not page["items"]:
                return ids


def run_locust(base_url: str, token: str, ids: list[str], var_dir: Path) -> dict[str, str]:
    """Run locust headless and return its aggregated row of the CSV statistics."""
    employees_file = var_dir / "employees.json"
    employees_file.write_text(json.dumps(ids))
    env = {
        **os.environ,
        "BENCH_TOKEN": token,
        "BENCH_EMPLOYEES_FILE": str(employees_file),
        "BENCH_USERS": str(USERS),
    }
    prefix = var_dir / "locust"
    subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--host", base_url, "--users", str(USERS), "--spawn-rate", str(USERS),
            "--run-time", f"{SECONDS}s", "--csv", str(prefix), "--only-summary",
            "--loglevel", "WARNING", "--stop-timeout", "5",
        ],
        env=env, check=False,  # locust exits 1 when any request failed: the figures say so
    )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as file:
        return next(row for row in csv.DictReader(file) if row["Name"] == "Aggregated")


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="hs-bench-intake-"))
    broker, intake, base_url, _env = start_intake(var_dir)
    try:
        token = issue_token(CommonSettings(), subject="nurse-bench", role=Role.NURSE)
        ids = employee_ids(base_url, token)
        row = run_locust(base_url, token, ids, var_dir)
    finally:
        processes.stop(intake)
        broker.stop()
    figures = {
        "users": USERS,
        "seconds": SECONDS,
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "requests/s": round(float(row["Requests/s"]), 1),
        "p50 ms": float(row["50%"]),
        "p95 ms": float(row["95%"]),
        "p99 ms": float(row["99%"]),
    }
    print(
        f"intake load: {USERS} locust users for {SECONDS} s, sick and well reports: "
        f"{figures['requests/s']} requests/s, {figures['failures']} failures of "
        f"{figures['requests']}, p50 {figures['p50 ms']:.0f} ms p95 {figures['p95 ms']:.0f} ms "
        f"p99 {figures['p99 ms']:.0f} ms"
    )
    record("intake_load", figures)


if __name__ == "__main__":
    main()
