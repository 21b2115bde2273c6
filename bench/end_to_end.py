"""End-to-end latency of the whole system under a steady load: from the intake's 201 for a sick
report to (a) the manager's mail arriving at the SMTP server and (b) the trigger event it
caused appearing on `halsosupport.triggers.v1`. Goal: p99 under 1 s for both.

The system is started as `make run` starts it (`start_system`: memory broker, SQLite, a temp
var dir) with the demo directory seeded larger, so each employee gets BENCH_E2E_ROUNDS (4) sick
reports on consecutive days, each followed a second later by a well report; the 4th occasion in
12 months fires the omtankesamtal, so a quarter of the reports cause a trigger. Sick reports go
at BENCH_E2E_RATE (50/s) for BENCH_E2E_SECONDS (60), open loop: each is sent when due whatever
the answers before it, so a slow system cannot slow the load down. Prints its figures; run with
`make bench`.

Matching is exact: the manager's mail carries a Message-ID derived from the report's event id
(services/notifier/handlers.py `_message_id`), the mail server names each file by its arrival
time (halsosupport/devmail.py), and a count rule's trigger lists the spell it counted last.
"""

import asyncio
import email.policy
import hashlib
import math
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.parser import BytesHeaderParser
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench.results import record
from halsosupport.auth import Role, issue_token
from halsosupport.demo import small_directory
from halsosupport.localtime import local_date
from halsosupport.processes import free_port
from halsosupport.settings import CommonSettings
from halsosupport.supervisor import Ports, System, start_system
from schemas import decode
from schemas.topics import TOPICS, TRIGGERS
from schemas.triggers import TriggerFired
from services.triggers.policy import DEFAULT_POLICY, load_policy

RATE = float(os.environ.get("BENCH_E2E_RATE", "50"))
SECONDS = float(os.environ.get("BENCH_E2E_SECONDS", "60"))
ROUNDS = int(os.environ.get("BENCH_E2E_ROUNDS", "4"))  # sick reports per employee, at most 8
WELL_AFTER_S = 1.0
SETTLE_S = 60.0  # how long to wait after the load for the last mails and triggers
GOAL_S = 1.0


@dataclass
class Report:
    employee_id: str
    manager_id: str
    sick_from: date
    round: int
    due: float = 0.0  # perf_counter
    sent_lag: float = 0.0  # seconds the pacer sent it after it was due
    sent_at: float = 0.0  # wall clock (time.time())
    answered_at: float | None = None  # wall clock (time.time()) of the 201
    status: int | None = None
    event_id: str = ""
    spell_id: str = ""


@dataclass
class Observed:
    triggers: list[tuple[float, TriggerFired]] = field(default_factory=list)  # (received, event)
    other_trigger_events: int = 0


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def manager_message_id(event_id: str, manager_id: str) -> str:
    """The notifier's Message-ID for a report's mail to a manager (its dedupe key, hashed)."""
    digest = hashlib.sha256(f"{event_id}:person:{manager_id}:email".encode()).hexdigest()[:32]
    return f"<{digest}@halsosupport>"


def start(var_dir: Path, staff_per_workplace: int) -> System:
    ports = Ports(*(free_port() for _ in range(8)))
    system = start_system(
        var_dir=var_dir,
        ports=ports,
        durable_broker=False,
        extra_env={"HALSOSUPPORT_KAFKA_REBALANCE_TIMEOUT_S": "1"},
        say=print,
    )
    system.seed_demo(employees_per_workplace=staff_per_workplace)
    return system


def plan_reports(client: httpx.Client, staff_per_workplace: int, total: int) -> list[Report]:
    """Who is reported sick when: every employee but managers and deputies, round by round."""
    demo = small_directory(employees_per_workplace=staff_per_workplace)
    by_pnr = {e.personnummer: e for e in demo.employees}

    def employee_id(personnummer: str) -> str:
        found = client.get("/v1/employees", params={"query": personnummer}).json()["items"]
        (match,) = [f for f in found if f["name"] == by_pnr[personnummer].name]
        return str(match["employee_id"])

    staff, managers = [], {}
    for workplace in demo.workplaces:
        if workplace.workplace_id.endswith("-hr"):
            continue
        managers[workplace.workplace_id] = employee_id(workplace.manager)
        bosses = {workplace.manager, workplace.deputy_manager}
        staff += [
            (e.personnummer, workplace.workplace_id)
            for e in demo.employees
            if e.workplace_id == workplace.workplace_id and e.personnummer not in bosses
        ]
    ids = {pnr: employee_id(pnr) for pnr, _ in staff}
    today = local_date(datetime.now(UTC))
    reports = [
        Report(ids[pnr], managers[wp], today - timedelta(days=ROUNDS - 1 - r), r)
        for r in range(ROUNDS)
        for pnr, wp in staff
    ]
    if len(reports) < total:
        raise SystemExit(f"only {len(reports)} reports planned for {total}: raise the staff")
    return reports[:total]


async def send_one(
    client: httpx.AsyncClient, report: Report, previous: "asyncio.Task[None] | None"
) -> None:
    """The sick report, then a second after its answer the well report. An employee's previous
    spell must be closed first: when the system is that far behind, the report waits for it
    (and shows as sent behind schedule)."""
    if previous is not None:
        await previous
    report.sent_lag = max(0.0, time.perf_counter() - report.due)
    report.sent_at = time.time()
    body = {"employee_id": report.employee_id, "sick_from": str(report.sick_from)}
    try:
        response = await client.post("/v1/reports/sick", json=body)
    except httpx.HTTPError as error:  # an overloaded intake drops connections: a failure
        print(f"  sick report failed: {error!r}")
        return
    report.answered_at, report.status = time.time(), response.status_code
    if response.status_code != 201:
        print(f"  sick report answered {response.status_code}: {response.text[:200]}")
        return
    report.event_id, report.spell_id = response.json()["event_id"], response.json()["spell_id"]
    await asyncio.sleep(WELL_AFTER_S)
    well = {"employee_id": report.employee_id, "well_from": str(report.sick_from + timedelta(1))}
    for _attempt in range(5):  # the next spell needs this one closed
        try:
            response = await client.post("/v1/reports/well", json=well)
        except httpx.HTTPError as error:
            print(f"  well report failed, trying again: {error!r}")
            continue
        if response.status_code != 201:
            print(f"  well report answered {response.status_code}: {response.text[:200]}")
        return


async def drive(base_url: str, token: str, reports: list[Report]) -> None:
    """Send the sick reports at RATE, each when due (an employee's after their last)."""
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=500)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as client:
        started = time.perf_counter()
        tasks: dict[str, list[asyncio.Task[None]]] = {}
        for n, report in enumerate(reports):
            report.due = started + n / RATE
            delay = report.due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            mine = tasks.setdefault(report.employee_id, [])
            mine.append(asyncio.create_task(send_one(client, report, mine[-1] if mine else None)))
        await asyncio.gather(*(t for mine in tasks.values() for t in mine))


async def watch_triggers(bootstrap_servers: str, observed: Observed, stop: asyncio.Event) -> None:
    """Every event on the triggers topic, with the moment this consumer received it."""
    partitions = next(s.partitions for s in TOPICS if s.name == TRIGGERS)
    # A short fetch wait: tansu holds a fetch its whole wait even when records arrive, and
    # this consumer's own delay must not count as the system's.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, fetch_max_wait_ms=10
    )
    await consumer.start()
    try:
        assigned = [TopicPartition(TRIGGERS, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            received = time.time()
            for records in batches.values():
                for record in records:
                    event = decode(record.value)
                    if isinstance(event, TriggerFired) and event.day_number is None:
                        observed.triggers.append((received, event))
                    else:
                        observed.other_trigger_events += 1
    finally:
        await consumer.stop()


def mail_arrivals(mail_dir: Path) -> dict[str, float]:
    """Message-ID -> arrival (epoch seconds) from the file name the mail server gave it."""
    arrivals = {}
    parser = BytesHeaderParser(policy=email.policy.default)
    for path in mail_dir.glob("*.eml"):
        stamp = datetime.strptime(path.name.split("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        with path.open("rb") as file:
            headers = parser.parsebytes(file.read(4096))
        arrivals[str(headers["Message-ID"])] = stamp.timestamp()
    return arrivals


def matched_latencies(
    reports: list[Report], mail_dir: Path, observed: Observed
) -> tuple[list[float], list[float], int]:
    answered = {r.spell_id: r for r in reports if r.status == 201}
    arrivals = mail_arrivals(mail_dir)
    mail = [
        arrivals[mid] - r.answered_at
        for r in answered.values()
        if r.answered_at and (mid := manager_message_id(r.event_id, r.manager_id)) in arrivals
    ]
    triggers = []
    for received, event in observed.triggers:
        last = max(event.occasions, key=lambda o: o.sick_from).spell_id
        report = answered.get(last)
        if report is not None and report.answered_at is not None:
            triggers.append(received - report.answered_at)
    # Every spell is its own occasion (merge gap 0), so the n-th report is the n-th occasion.
    thresholds = [
        rule.threshold for rule in load_policy(DEFAULT_POLICY).count_rules
        if rule.metric == "occasions" and rule.merge_gap_days in (None, 0)
    ]  # fmt: skip
    expected = sum(thresholds.count(r.round + 1) for r in answered.values())
    return mail, triggers, expected


async def run_load(system: System, reports: list[Report], observed: Observed) -> None:
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch_triggers(system.broker.bootstrap_servers, observed, stop))
    token = issue_token(CommonSettings(), subject="nurse-bench", role=Role.NURSE)
    await drive(f"http://127.0.0.1:{system.ports.intake}", token, reports)
    mail_dir = system.var_dir / "mail"
    deadline = time.monotonic() + SETTLE_S
    wanted = sum(1 for r in reports if r.status == 201)
    while time.monotonic() < deadline:  # the stragglers
        await asyncio.sleep(2)
        mail, triggers, expected = matched_latencies(reports, mail_dir, observed)
        if len(mail) >= wanted and len(triggers) >= expected:
            break
    stop.set()
    await watcher


def main() -> None:
    total = int(RATE * SECONDS)
    if not 1 <= ROUNDS <= 8:
        raise SystemExit("BENCH_E2E_ROUNDS must be 1 to 8: sick reports go at most 7 days back")
    workplaces = sum(1 for w in small_directory().workplaces if not w.workplace_id.endswith("-hr"))
    staff = math.ceil(total / ROUNDS / workplaces)  # besides each manager and deputy
    var_dir = Path(tempfile.mkdtemp(prefix="hs-bench-e2e-"))
    print(f"end to end: starting the system in {var_dir} ...")
    system = start(var_dir, staff)
    try:
        token = issue_token(CommonSettings(), subject="nurse-bench", role=Role.NURSE)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{system.ports.intake}",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            reports = plan_reports(client, staff, total)
        time.sleep(5)  # let every service take in the directory before the clock starts
        observed = Observed()
        print(f"  sending {total} sick reports at {RATE:g}/s, each followed by a well report ...")
        asyncio.run(run_load(system, reports, observed))
    finally:
        system.stop()
    report_figures(reports, *matched_latencies(reports, var_dir / "mail", observed))


def report_figures(
    reports: list[Report], mail: list[float], triggers: list[float], expected: int
) -> None:
    ok = [r for r in reports if r.status == 201]
    answer_ms = [((r.answered_at or 0) - r.sent_at) * 1000 for r in ok]
    sent = sorted(r.sent_at for r in reports)
    figures = {
        "sick reports sent": len(reports),
        "answered 201": len(ok),
        "achieved rate /s": round((len(sent) - 1) / (sent[-1] - sent[0]), 1),
        "sending behind schedule, max ms": round(max(r.sent_lag for r in reports) * 1000),
        "intake answer p99 ms": round(percentile(answer_ms, 99), 1),
        "mails matched": len(mail),
        "mail p50 ms": round(percentile(mail, 50) * 1000),
        "mail p95 ms": round(percentile(mail, 95) * 1000),
        "mail p99 ms": round(percentile(mail, 99) * 1000),
        "triggers matched": len(triggers),
        "triggers expected": expected,
        "trigger p50 ms": round(percentile(triggers, 50) * 1000),
        "trigger p95 ms": round(percentile(triggers, 95) * 1000),
        "trigger p99 ms": round(percentile(triggers, 99) * 1000),
    }
    print(
        f"end to end: {len(reports)} sick reports at {figures['achieved rate /s']}/s "
        f"({len(ok)} answered 201, intake p99 {figures['intake answer p99 ms']} ms)"
    )
    for what, values, count in (("manager's mail", mail, len(ok)), ("trigger", triggers, expected)):
        print(
            f"  201 -> {what:<14} matched {len(values)}/{count}  p50 "
            f"{percentile(values, 50) * 1000:6.0f} ms  p95 {percentile(values, 95) * 1000:6.0f} ms"
            f"  p99 {percentile(values, 99) * 1000:6.0f} ms"
        )
    met = (
        len(mail) == len(ok) == len(reports)
        and len(triggers) == expected
        and percentile(mail, 99) < GOAL_S
        and percentile(triggers, 99) < GOAL_S
    )
    record("end_to_end", figures, goal="p99 < 1 s, mail and trigger, all matched", goal_met=met)


if __name__ == "__main__":
    main()
