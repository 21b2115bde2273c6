"""Kafka helpers shared by the services and the broker command: readiness and topic creation."""

import time

import structlog
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import TOPICS, TopicSpec

log = structlog.get_logger("halsosupport.kafka")


class BrokerUnavailable(RuntimeError):
    """The broker did not answer within the deadline."""


def wait_for_broker(bootstrap_servers: str, *, timeout_s: float = 30.0) -> None:
    """Block until the broker answers a metadata request."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap_servers, request_timeout_ms=3000, client_id="hs-ready"
            )
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as error:
            last_error = error
            time.sleep(0.2)
    raise BrokerUnavailable(
        f"no Kafka broker at {bootstrap_servers} after {timeout_s:.0f} s: {last_error}"
    )


def ensure_topics(bootstrap_servers: str, specs: tuple[TopicSpec, ...] = TOPICS) -> list[str]:
    """Create the topics that are missing; return the names created. Existing ones are kept."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="hs-topics")
    try:
        existing = set(admin.list_topics())
        created = []
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=dict(spec.config))]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                continue
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        admin.close()
