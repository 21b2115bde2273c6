"""PostgreSQL restarts (a fast stop, down a few seconds, started again) while intake takes
calls. The whole system runs on a private cluster of the test's own (tests/private_postgres.py),
never the machine's shared server. Calls meanwhile get 503 with Retry-After and a body saying to
retry; the workload retries with the same Idempotency-Key; nothing is stored half (a spell without
its outbox event, or twice); every part reconnects and every effect happens exactly once.
"""

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from itertools import islice

import httpx
import pytest

from halsosupport.supervisor import SERVICES
from schemas.topics import REPORTS
from tests.chaos.conftest import SMALL
from tests.chaos.harness import ChaosDatabase, ChaosSystem, today

pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.postgres]

DOWN_S = 4.0 if SMALL else 20.0


@pytest.fixture
def chaos_pg(tmp_path, private_postgres) -> Iterator[ChaosSystem]:
    system = ChaosSystem(
        var_dir=tmp_path / "var",
        database=ChaosDatabase(private_postgres.url, schema_prefix="chaos_"),
    )
    try:
        yield system.start()
    finally:
        system.stop()


def probe(chaos: ChaosSystem, employee_id: str, key: str) -> httpx.Response:
    return httpx.post(
        f"http://127.0.0.1:{chaos.ports.intake}/v1/reports/sick",
        headers={**chaos.headers(), "Idempotency-Key": key},
        json={"employee_id": employee_id, "sick_from": str(today() - timedelta(days=1))},
        timeout=15,
    )


@pytest.mark.timeout(900)
def test_a_database_restart_under_load_loses_nothing_and_stores_nothing_half(
    chaos_pg, private_postgres
):
    chaos = chaos_pg
    *staff, outsider = chaos.staff_with_a_manager((3 if SMALL else 12) + 1)
    reports = chaos.occasions(staff, 4)
    total = 8 * len(staff)
    for _ in islice(reports, total // 3):
        pass

    # The workload goes on in a thread of its own, into the outage and through it.
    pool = ThreadPoolExecutor(max_workers=1)
    during = pool.submit(lambda: sum(1 for _ in islice(reports, total // 3)))
    time.sleep(0.3)  # mid-stream
    began = time.monotonic()
    private_postgres.down()  # a fast stop ends every session, mid-transaction or not
    key = uuid.uuid4().hex
    refused = probe(chaos, outsider["employee_id"], key)
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["retry"] is True and "retry" in refused.json()["detail"]
    time.sleep(max(0.0, DOWN_S - (time.monotonic() - began)))
    private_postgres.up()
    back_after = time.monotonic() - began

    accepted = probe(chaos, outsider["employee_id"], key)  # the same key: stored once
    assert accepted.status_code == 201, accepted.text
    chaos.accepted.append(accepted.json())
    assert during.result(timeout=180) == total // 3
    pool.shutdown()
    for _ in reports:
        pass
    for name in SERVICES:
        chaos.wait_healthy(name, timeout_s=60)

    chaos.assert_exactly_once()
    assert_nothing_stored_half(chaos)
    assert back_after < DOWN_S + 15


def assert_nothing_stored_half(chaos: ChaosSystem) -> None:
    """Every accepted answer is stored once with its event; every spell has its sick report
    event and no event is without an answer the client got."""
    events = {
        str(event_id): payload
        for event_id, payload in chaos.rows(
            "intake", f"select event_id, payload from outbox where topic = '{REPORTS}'"
        )
    }
    assert {a["event_id"] for a in chaos.accepted} == set(events)
    assert len(chaos.accepted) == len(events)
    spells = [(str(s),) for (s,) in chaos.rows("intake", "select spell_id from spell")]
    sick_events = [p for p in events.values() if '"SickReported"' in p]
    assert len(spells) == len(sick_events)
    for (spell_id,) in spells:
        assert sum(spell_id in p for p in sick_events) == 1, spell_id
    assert {a["spell_id"] for a in chaos.accepted} == {s for (s,) in spells}
