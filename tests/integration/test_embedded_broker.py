"""The embedded broker of `make run` keeps its topics on disk across a restart."""

from kafka import KafkaConsumer, KafkaProducer

from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from schemas.topics import REPORTS, TOPICS


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
