"""Poison on every topic a service consumes (reports, triggers, directory, cases; nothing
consumes the notifications topic): bytes that are not UTF-8, JSON cut short, an event that
looks right but does not validate, and a valid event of another topic that would do harm if
applied (a sick report counted twice, a manager's address changed). Each is dead-lettered once
by every consumer of its topic, saying where it came from, and the reports after it, on the
same partitions, reach stats, triggers, cases and mail exactly once.
"""

import json
import uuid
from collections import Counter
from itertools import islice
from typing import Any

import pytest
from kafka import KafkaProducer

from halsosupport.kafka import read_all
from schemas import decode, encode
from schemas.directory import EmployeeUpserted
from schemas.reports import SickReported
from schemas.topics import CASES as CASES_TOPIC
from schemas.topics import DEADLETTER, DIRECTORY, REPORTS, TRIGGERS
from tests.chaos.conftest import SMALL
from tests.chaos.harness import ChaosSystem, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

NOTIFIER, STATS = "halsosupport-notifier", "halsosupport-stats"
TRIGGERS_APP, CASES = "halsosupport-triggers", "halsosupport-cases"
CONSUMERS = {
    REPORTS: {NOTIFIER, STATS, TRIGGERS_APP},
    TRIGGERS: {NOTIFIER, STATS, CASES},
    DIRECTORY: {NOTIFIER, STATS, TRIGGERS_APP, CASES},
    CASES_TOPIC: {NOTIFIER, STATS},
}
POISONED_ADDRESS = "poison@attacker.example"


def poisons(chaos: ChaosSystem, topic: str) -> list[bytes]:
    """What goes wrong on `topic`, each message told apart by a marker of its own."""
    marker = uuid.uuid4().hex
    reports = [decode(v) for _, v in read_all(chaos.bootstrap, REPORTS) if v is not None]
    sick = next(e for e in reports if isinstance(e, SickReported))
    if topic == REPORTS:  # the manager's address changed, if a consumer took it for a directory
        manager = next(
            e
            for _, v in read_all(chaos.bootstrap, DIRECTORY)
            if v is not None
            and isinstance(e := decode(v), EmployeeUpserted)
            and e.employee_id == sick.org.manager_id
        )
        misplaced = encode(
            manager.model_copy(update={"event_id": uuid.uuid4(), "email": POISONED_ADDRESS})
        )
    else:  # a second spell nobody reported, if a consumer took it for a report
        misplaced = encode(
            sick.model_copy(update={"event_id": uuid.uuid4(), "spell_id": f"poison-{marker}"})
        )
    return [
        b"\xff\xfe\x00 not UTF-8 " + marker.encode(),
        b'{"event_type": "SickReported", "marker": "' + marker.encode(),
        json.dumps({"event_type": "SickReported", "employee_id": marker, "sick_from": 7}).encode(),
        misplaced,
    ]


def put(chaos: ChaosSystem, messages: list[tuple[str, bytes, bytes]]) -> None:
    """One record per batch, keyed by employees of the workload so the poison sits on the
    partitions their later reports go to."""
    producer = KafkaProducer(bootstrap_servers=chaos.bootstrap, acks="all", batch_size=1)
    try:
        for topic, key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush(10)
    finally:
        producer.close()


def dead_letters(chaos: ChaosSystem) -> list[dict[str, Any]]:
    return [json.loads(v) for _, v in read_all(chaos.bootstrap, DEADLETTER) if v is not None]


@pytest.mark.timeout(900)
def test_poison_on_every_consumed_topic_is_dead_lettered_and_the_flow_goes_on(chaos):
    staff = chaos.staff_with_a_manager(3 if SMALL else 12)
    reports = chaos.occasions(staff, 4)
    for _ in islice(reports, 4 * len(staff)):  # two occasions each: no trigger yet
        pass
    wait_for(lambda: len(chaos.mails()) > 0, timeout_s=60, what="the first mail")

    keys = [person["employee_id"].encode() for person in staff]
    sent = [
        (topic, keys[n % len(keys)], value)
        for topic in CONSUMERS
        for n, value in enumerate(poisons(chaos, topic))
    ]
    chaos.injected.update(value for _, _, value in sent)
    put(chaos, sent)
    for _ in reports:  # the third and fourth occasions: the omtankesamtal fires
        pass
    chaos.assert_exactly_once()

    expected = Counter(
        (topic, value.decode("utf-8", "replace"), group)
        for topic, _, value in sent
        for group in CONSUMERS[topic]
    )

    def dead() -> Counter[tuple[str, str, str]]:
        return Counter((d["topic"], d["value"], d["consumer_group"]) for d in dead_letters(chaos))

    wait_for(lambda: set(dead()) >= set(expected), timeout_s=60, what="every dead letter")
    assert dead() == expected  # each once, by each consumer of its topic, and nothing else
    for letter in dead_letters(chaos):
        assert letter["error"] and isinstance(letter["offset"], int)
    assert not [m for m in chaos.mails() if POISONED_ADDRESS in str(m["To"])]
