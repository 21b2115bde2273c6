"""The broker is killed mid-stream and comes back empty (every topic, offset and consumer group
gone): intake's relay notices and republishes its whole outbox, the consumers start over from
the beginning of the new topics, the triggers worker rebuilds its state from the reports, and
still every effect happens exactly once."""

import time

import httpx
import pytest
from kafka import KafkaAdminClient

from schemas.topics import REPORTS
from tests.chaos.conftest import SMALL

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


@pytest.mark.timeout(600)
def test_a_broker_that_comes_back_empty_mid_stream_loses_nothing_and_repeats_nothing(chaos):
    staff = chaos.staff()[: 3 if SMALL else 12]
    reports = 2 * 4 * len(staff)
    started = time.monotonic()
    for n, _ in enumerate(chaos.occasions(staff, 4), start=1):
        if n == reports // 2:
            chaos.restart_broker_empty()
    chaos.assert_exactly_once()
    outbox = httpx.get(f"http://127.0.0.1:{chaos.ports.intake}/healthz").json()["outbox"]
    assert outbox["broker_losses_noticed"] == 1 and outbox["replaying"] is False
    for name in ("notifier", "stats"):
        health = httpx.get(f"http://127.0.0.1:{getattr(chaos.ports, name)}/healthz").json()
        assert health["consumer"]["broker_losses_noticed"] == 1, name
    triggers = httpx.get(f"http://127.0.0.1:{chaos.ports.triggers}/healthz").json()
    assert triggers["broker_losses_noticed"] == 1
    # faust's own topics, made again by the worker with the partitions of the reports as the
    # new broker has them (6, or its default of 4 when a client's request made the topic first)
    admin = KafkaAdminClient(bootstrap_servers=chaos.bootstrap)
    try:
        partitions = {t["name"]: len(t["partitions"]) for t in admin.describe_topics()}
    finally:
        admin.close()
    internal = {
        name: count
        for name, count in partitions.items()
        if name.startswith("halsosupport-triggers-") and "assignor" not in name
    }
    assert sorted(internal.values()) == [partitions[REPORTS]] * 2, (internal, partitions[REPORTS])
    print(f"broker loss scenario: {reports} reports, {time.monotonic() - started:.0f} s")  # noqa: T201
