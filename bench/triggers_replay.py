"""Replay throughput of the rule engine: a municipality's year of reports through the default
policy, as `halsosupport simulate` and a rebuild from offset 0 run it (pure engine, no broker).

Prints events per second; run with `make bench`.
"""

import os
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta

from bench.results import record
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import AbsenceType, ReasonVisibility, SickReported, WellReported
from services.triggers.handlers import EmployeeState, apply_report
from services.triggers.policy import DEFAULT_POLICY, load_policy

EMPLOYEES = int(os.environ.get("BENCH_EMPLOYEES", "2000"))
SRC = Source(channel=Channel.NURSE, registered_by="bench")


def history(rng: random.Random, employee_id: str) -> list:
    org = OrgRef(workplace_id=f"w{rng.randrange(100)}", department_id=f"d{rng.randrange(8)}")
    day, events = date(2025, 1, 1), []
    while True:
        day += timedelta(days=rng.randrange(10, 90))
        if day > date(2026, 10, 31):
            return events
        length = rng.choice([1, 2, 3, 3, 5, 7, 14, 30])
        spell_id = uuid.uuid4().hex
        at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        common = {"source": SRC, "employee_id": employee_id, "org": org, "spell_id": spell_id}
        events.append(
            SickReported(
                event_id=uuid.uuid4(), occurred_at=at, absence_type=AbsenceType.SICK,
                sick_from=day, degree_percent=100,
                reason_visibility=ReasonVisibility.WITHHELD, **common,
            )
        )  # fmt: skip
        day += timedelta(days=length)
        events.append(
            WellReported(
                event_id=uuid.uuid4(), occurred_at=at + timedelta(days=length),
                well_from=day, **common,
            )
        )  # fmt: skip


def main() -> None:
    rng = random.Random(7)
    policy = load_policy(DEFAULT_POLICY)
    streams = [history(rng, f"e{n}") for n in range(EMPLOYEES)]
    total = sum(len(s) for s in streams)
    started = time.perf_counter()
    fired = 0
    for events in streams:
        state = EmployeeState()
        for event in events:
            state, out = apply_report(state, event, policy)
            fired += len(out)
    elapsed = time.perf_counter() - started
    print(
        f"triggers replay: {total} reports of {EMPLOYEES} employees in {elapsed:.1f} s = "
        f"{total / elapsed:,.0f} events/s ({fired} trigger events, policy {policy.policy_version})"
    )
    record(
        "triggers_replay",
        {"employees": EMPLOYEES, "reports": total, "trigger events": fired,
         "events/s": round(total / elapsed)},
    )  # fmt: skip


if __name__ == "__main__":
    main()
