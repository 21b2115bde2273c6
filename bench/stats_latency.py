"""p50/p99 latency of the stats service's `today` and `daily` endpoints on a generated
history: 50,000 employees and five years by default (BENCH_EMPLOYEES, BENCH_YEARS), in SQLite
(or PostgreSQL with HALSOSUPPORT_DATABASE_URL). Prints its figures; run with `make bench`.
"""

import os
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient

from bench.results import record
from halsosupport.auth import Role, issue_token
from services.stats import handlers
from services.stats.adapters.tables import Department, Employee, Spell, Workplace
from services.stats.bootstrap import StatsRuntime, bootstrap
from services.stats.entrypoints.api import create_app
from services.stats.settings import StatsSettings
from tests.support import FixedClock

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "50000"))
YEARS = int(os.environ.get("BENCH_YEARS", "5"))
TODAY = date(2026, 11, 23)


def generate(rng: random.Random) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    departments = [{"department_id": f"d{n}", "name": f"Förvaltning {n}"} for n in range(12)]
    workplaces = [
        {"workplace_id": f"w{n}", "name": f"Enhet {n}", "department_id": f"d{n % 12}"}
        for n in range(max(1, EMPLOYEES // 25))
    ]
    employees, spells = [], []
    start = TODAY - timedelta(days=365 * YEARS)
    for n in range(EMPLOYEES):
        workplace = workplaces[rng.randrange(len(workplaces))]["workplace_id"]
        employees.append({"employee_id": f"e{n}", "workplace_id": workplace, "placements": []})
        day = start + timedelta(days=rng.randrange(60))
        while day < TODAY:
            length = rng.choice([1, 2, 3, 3, 4, 5, 7, 10, 14, 30, 90])
            well = day + timedelta(days=length)
            spells.append(
                {
                    "spell_id": f"s{len(spells)}", "employee_id": f"e{n}",
                    "workplace_id": workplace, "department_id": "",
                    "absence_type": "sick" if rng.random() < 0.8 else "vab",
                    "sick_from": day, "well_from": None if well > TODAY else well,
                    "reported_on": day, "degree_percent": 100, "corrected": False,
                }
            )  # fmt: skip
            day = well + timedelta(days=rng.randrange(20, 200))
    return departments, workplaces, employees, spells


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


@dataclass
class History:
    settings: StatsSettings
    runtime: StatsRuntime
    workplaces: int
    spells: int
    loaded_s: float
    counted_s: float

    def describe(self) -> str:
        return (
            f"{EMPLOYEES:,} employees, {self.workplaces:,} workplaces, {self.spells:,} spells "
            f"over {YEARS} years (loaded in {self.loaded_s:.0f} s, counts per workplace and day "
            f"built in {self.counted_s:.0f} s)"
        )


def load_history() -> History:
    """The generated history in a new read model, with its counts built."""
    folder = tempfile.mkdtemp(prefix="hs-bench-")
    settings = StatsSettings(
        database_url=os.environ.get(
            "HALSOSUPPORT_DATABASE_URL", f"sqlite:///{folder}/{{service}}.sqlite3"
        ),
        kafka_bootstrap_servers="127.0.0.1:1",  # the consumer is not needed: the history is loaded
    )
    runtime = bootstrap(settings, clock=FixedClock(datetime(2026, 11, 23, 8, tzinfo=UTC)))
    started = time.perf_counter()
    departments, workplaces, employees, spells = generate(random.Random(3))
    with runtime.engine.begin() as connection:
        for table, rows in (
            (Department, departments), (Workplace, workplaces),
            (Employee, employees), (Spell, spells),
        ):  # fmt: skip
            for chunk in range(0, len(rows), 50_000):
                connection.execute(table.__table__.insert(), rows[chunk : chunk + 50_000])  # type: ignore[attr-defined]
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    with runtime.uow() as uow:  # what a new or upgraded database does on its first request
        handlers.rebuild_counts(uow, TODAY)
        uow.commit()
    counted = time.perf_counter() - started
    return History(settings, runtime, len(workplaces), len(spells), loaded, counted)


def main() -> None:
    history = load_history()
    settings, runtime = history.settings, history.runtime
    token = issue_token(settings, subject="bench", role=Role.CRISIS)
    rng = random.Random(5)
    # The pages ask about today and the days up to it; a past date is the rarer, slower path.
    last_year = TODAY - timedelta(days=364)
    cases = {
        "today": ("/v1/stats/today", lambda: {}),
        "daily, 60 days": (
            "/v1/stats/daily",
            lambda: {"from": (TODAY - timedelta(days=59)).isoformat(), "to": TODAY.isoformat()},
        ),
        "daily, 1 year": (
            "/v1/stats/daily",
            lambda: {"from": last_year.isoformat(), "to": TODAY.isoformat(), "department_id": "d3"},
        ),
        "a past day": (
            "/v1/stats/today",
            lambda: {"date": (TODAY - timedelta(days=rng.randrange(30, 1500))).isoformat()},
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    with TestClient(create_app(settings, runtime)) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        t0 = time.perf_counter()  # the first request reads the organisation and its headcount
        assert client.get("/v1/stats/today").status_code == 200
        first = (time.perf_counter() - t0) * 1000
        for _ in range(int(os.environ.get("BENCH_REQUESTS", "40"))):
            for name, (path, params) in cases.items():
                t0 = time.perf_counter()
                response = client.get(path, params=params())
                timings[name].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.text
    print(f"stats latency: {history.describe()}")
    print(f"  first request    {first:7.1f} ms (reads the organisation, kept until it changes)")
    figures: dict[str, object] = {"employees": EMPLOYEES, "spells": history.spells,
                                  "first request ms": round(first, 1)}  # fmt: skip
    for name, values in timings.items():
        print(f"  {name:<16} p50 {p(values, 50):7.1f} ms   p99 {p(values, 99):7.1f} ms")
        figures[f"{name} p50 ms"] = round(p(values, 50), 1)
        figures[f"{name} p99 ms"] = round(p(values, 99), 1)
    record("stats_latency", figures)


if __name__ == "__main__":
    main()
