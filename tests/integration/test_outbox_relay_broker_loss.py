"""The outbox relay notices a broker that lost its data (its topics came back with new topic
ids, or not at all) and republishes every recorded event before going on: a private embedded
broker in memory is restarted empty on the same port."""

import time

from kafka import KafkaAdminClient
from structlog.testing import capture_logs

from schemas import decode
from schemas.topics import DIRECTORY, REPORTS, TOPICS
from tests.integration.conftest import restart_empty, start_intake
from tests.support import eventually, read_topic

CHECK_S = 0.2


def outbox(intake) -> dict:
    return intake.client.get("/healthz").json()["outbox"]


def event_ids(bootstrap: str, topic: str) -> list[str]:
    return [str(decode(value).event_id) for _, value in read_topic(bootstrap, topic) if value]


def test_a_broker_restarted_empty_gets_every_event_again_and_healthz_says_so(database, broker):
    with start_intake(
        database, broker.bootstrap_servers, kafka_broker_check_interval_s=CHECK_S
    ) as intake:
        first = intake.sick("Anna Andersson", sick_from="2026-11-18").json()["event_id"]
        eventually(lambda: outbox(intake)["unpublished"] == 0)
        eventually(lambda: first in event_ids(broker.bootstrap_servers, REPORTS))
        directory = event_ids(broker.bootstrap_servers, DIRECTORY)
        assert outbox(intake)["broker_losses_noticed"] == 0
        with capture_logs() as logs:
            restart_empty(broker)
            eventually(lambda: outbox(intake)["broker_losses_noticed"])
            second = intake.sick("Bertil Berg").json()["event_id"]
            eventually(lambda: second in event_ids(broker.bootstrap_servers, REPORTS))
        reports = event_ids(broker.bootstrap_servers, REPORTS)
        status = outbox(intake)
    assert status["broker_losses_noticed"] == 1
    assert status["last_broker_loss_at"] and status["replaying"] is False
    assert sorted(reports) == sorted([first, second])  # each once
    assert sorted(event_ids(broker.bootstrap_servers, DIRECTORY)) == sorted(directory)
    lost = [e for e in logs if e["event"] == "broker_lost_data"]
    assert len(lost) == 1 and lost[0]["log_level"] == "warning"
    assert sorted(lost[0]["topics"]) == sorted([DIRECTORY, REPORTS])
    replayed = [e for e in logs if e["event"] == "outbox_replayed"]
    assert replayed and replayed[0]["events"] >= 1 + len(directory)


def test_topics_gone_with_the_broker_are_made_again_with_their_own_settings(database, broker):
    with start_intake(
        database, broker.bootstrap_servers, kafka_broker_check_interval_s=CHECK_S
    ) as intake:
        first = intake.sick("Anna Andersson").json()["event_id"]
        eventually(lambda: first in event_ids(broker.bootstrap_servers, REPORTS))
        restart_empty(broker, create_topics=False)  # as a broker without the deploy's topics
        eventually(lambda: outbox(intake)["broker_losses_noticed"])
        eventually(lambda: event_ids(broker.bootstrap_servers, REPORTS) == [first])
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        described = {t["name"]: t for t in admin.describe_topics([REPORTS, DIRECTORY])}
    finally:
        admin.close()
    spec = {s.name: s for s in TOPICS}
    for name in (REPORTS, DIRECTORY):  # not the broker's default of 4 partitions
        assert len(described[name]["partitions"]) == spec[name].partitions


def test_a_loss_while_intake_was_down_is_noticed_when_it_starts_again(database, broker):
    with start_intake(database, broker.bootstrap_servers) as intake:
        first = intake.sick("Anna Andersson").json()["event_id"]
        eventually(lambda: outbox(intake)["unpublished"] == 0)
    restart_empty(broker)
    # The topic ids the relay published to are kept in the intake database.
    with start_intake(
        database, broker.bootstrap_servers, seed=False, kafka_broker_check_interval_s=CHECK_S
    ) as intake:
        eventually(lambda: outbox(intake)["broker_losses_noticed"] == 1)
        assert eventually(lambda: event_ids(broker.bootstrap_servers, REPORTS)) == [first]


def test_a_broker_that_kept_its_data_is_not_replayed_to(database, broker):
    with start_intake(database, broker.bootstrap_servers) as intake:
        first = intake.sick("Anna Andersson").json()["event_id"]
        eventually(lambda: outbox(intake)["unpublished"] == 0)
    with start_intake(
        database, broker.bootstrap_servers, seed=False, kafka_broker_check_interval_s=CHECK_S
    ) as intake:
        second = intake.sick("Bertil Berg").json()["event_id"]
        eventually(lambda: outbox(intake)["unpublished"] == 0)
        time.sleep(5 * CHECK_S)  # a few checks
        assert outbox(intake)["broker_losses_noticed"] == 0
    assert sorted(event_ids(broker.bootstrap_servers, REPORTS)) == sorted([first, second])
