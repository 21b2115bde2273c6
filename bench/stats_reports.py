"""Latency of the stats service's evaluation endpoints (repeated absence, length, net days,
key figures, cost) on the history bench/stats_latency.py generates: 50,000 employees and five
years by default (BENCH_EMPLOYEES, BENCH_YEARS; BENCH_REQUESTS per case, default 5), in SQLite
(or PostgreSQL with HALSOSUPPORT_DATABASE_URL). The first request of each computes the answer;
the others find it kept (`services.stats.figure_cache`) until a spell in its period changes.
Prints its figures: `make bench`.
"""

import os
import time

from fastapi.testclient import TestClient

from bench.results import record
from bench.stats_latency import EMPLOYEES, TODAY, YEARS, load_history, p
from halsosupport.auth import Role, issue_token
from services.stats.entrypoints.api import create_app

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "5"))
CASES = {
    "repeated absence, 12 months": ("/v1/stats/repeated-absence", {}),
    "  by department": ("/v1/stats/repeated-absence", {"group_by": "department"}),
    "  one day, by age group": (
        "/v1/stats/repeated-absence",
        {"date": TODAY.isoformat(), "group_by": "age_group"},
    ),
    "length, 1 year": ("/v1/stats/length", {}),
    "net days, 12 months": ("/v1/stats/net-days", {}),
    "  one workplace": ("/v1/stats/net-days", {"workplace_id": "w7"}),
    "  5 years": ("/v1/stats/net-days", {"from": f"{TODAY.year - YEARS}-12", "to": "2026-11"}),
    "key figures, last year": ("/v1/stats/key-figures", {"year": TODAY.year - 1}),
    "  this year so far": ("/v1/stats/key-figures", {}),
    "cost, 12 months": ("/v1/stats/cost", {"short_term_only": "false"}),
}


def main() -> None:
    history = load_history()
    settings, runtime = history.settings, history.runtime
    token = issue_token(settings, subject="bench", role=Role.CRISIS)
    app = create_app(settings, runtime)
    timings: dict[str, list[float]] = {name: [] for name in CASES}
    answers: dict[str, dict] = {}
    with TestClient(app) as client:
        client.headers["Authorization"] = f"Bearer {token}"
        for _ in range(REQUESTS):
            for name, (path, params) in CASES.items():
                t0 = time.perf_counter()
                response = client.get(path, params=params)
                timings[name].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.text
                answers[name] = response.json()
    print(f"stats figure endpoints, {REQUESTS} requests each: {history.describe()}")
    figures: dict[str, object] = {}
    for name, values in timings.items():
        kept = values[1:] or values
        print(
            f"  {name:<30} computed {values[0]:8.1f} ms   kept p50 {p(kept, 50):6.1f} ms "
            f"p99 {p(kept, 99):6.1f} ms"
        )
        label = name.strip()
        figures[f"{label}: computed ms"] = round(values[0], 1)
        figures[f"{label}: kept p99 ms"] = round(p(kept, 99), 1)
    last = answers["repeated absence, 12 months"]["points"][-1]["all"]
    net = answers["net days, 12 months"]["months"][-2]
    key = answers["key figures, last year"]
    cost = answers["cost, 12 months"]
    print(
        f"  figures: repeated absence {last['percent']} % on {TODAY}; net sick days per "
        f"employee in {net['month']} {net['sick']['net_days_per_employee']} (short-term "
        f"{net['sick']['short_term_net_days_per_employee']}); key figure {key['year']} "
        f"{key['overall']['percent']} %, long-term share {key['long_term']['percent']} %; "
        f"cost: {cost['saved_days']} days saved, {cost['value']} kr"
    )
    record("stats_reports", {"employees": EMPLOYEES, "spells": history.spells, **figures})


if __name__ == "__main__":
    main()
