"""The embedded broker of `make run` keeps its topics on disk across a restart, and a whole
topic is read to its end despite the broker's end offsets."""

from kafka import KafkaConsumer, KafkaProducer

from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.kafka import ensure_topics, read_all
from halsosupport.processes import free_port
from schemas.topics import REPORTS, TOPICS, TopicSpec
from tests.support import random_id, read_topic


def test_durable_storage_survives_a_restart_and_the_topics_are_created(tmp_path):
    port = free_port()
    broker = EmbeddedBroker(port=port, data_dir=tmp_path / "kafka").start()
    try:
        consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap_servers)
        assert {t.name for t in TOPICS} <= consumer.topics()
        assert len(consumer.partitions_for_topic(REPORTS)) == 6
        consumer.close()
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
        for i in range(500):
            producer.send(REPORTS, key=f"e{i % 17}".encode(), value=f"v{i}".encode())
        producer.flush()
        producer.close()
    finally:
        broker.stop()

    broker = EmbeddedBroker(port=port, data_dir=tmp_path / "kafka").start()
    try:
        consumer = KafkaConsumer(
            REPORTS,
            bootstrap_servers=broker.bootstrap_servers,
            auto_offset_reset="earliest",
            consumer_timeout_ms=3000,
        )
        values = {message.value for message in consumer}
        consumer.close()
        assert values == {f"v{i}".encode() for i in range(500)}
    finally:
        broker.stop()


def test_a_topic_of_several_record_batches_is_read_whole_by_the_commands_and_the_tests(
    kafka_bootstrap,
):
    """tansu reports a partition's end as its last batch's first offset + 1: a reader that cut
    records at the end offsets would lose the rest of that batch. The tests read topics with
    the commands' reader, so both see the same records."""
    topic = random_id("read-all")
    ensure_topics(kafka_bootstrap, (TopicSpec(topic, 2),))
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", linger_ms=200)
    sent = [(f"e{i % 2}".encode(), f"v{i}".encode()) for i in range(40)]
    for key, value in sent:
        producer.send(topic, key=key, value=value)  # batched: linger lets them gather
    producer.flush()
    producer.close()

    progress: list[tuple[int, int]] = []
    read = list(read_all(kafka_bootstrap, topic, on_progress=lambda *p: progress.append(p)))
    assert sorted(read) == sorted(sent)
    for key in {k for k, _ in sent}:  # each key's records in the order sent
        assert [v for k, v in read if k == key] == [v for k, v in sent if k == key]
    assert progress[-1] == (40, 40)
    assert read_topic(kafka_bootstrap, topic) == read
