"""The one place where the notifier's real adapters are built and wired."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from kafka import KafkaProducer
from sqlalchemy.engine import Engine

from halsosupport.auth import Role, issue_token
from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from halsosupport.kafka_security import kafka_python_security
from schemas import encode
from schemas.notifications import NotificationFailed
from services.notifier.adapters.smtp_mailer import SmtpMailer
from services.notifier.adapters.sql_repo import SqlUnitOfWork
from services.notifier.adapters.twilio_sms import TwilioSms
from services.notifier.handlers import Channels
from services.notifier.rendering import Renderer
from services.notifier.settings import NotifierSettings

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class FailurePublisher:
    """Publishes NotificationFailed; the producer is made on first use, so the notifier starts
    (and keeps mailing) while the broker is away."""

    settings: NotifierSettings
    producer: KafkaProducer | None = field(default=None, init=False)

    def __call__(self, event: NotificationFailed) -> None:
        if self.producer is None:
            self.producer = KafkaProducer(
                bootstrap_servers=self.settings.kafka_bootstrap_servers,
                acks="all",
                retries=5,
                **kafka_python_security(self.settings),
            )
        self.producer.send(
            event.topic, key=event.partition_key().encode(), value=encode(event)
        ).get(timeout=10)

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close(timeout=5)


def fetch_crisis_figures(settings: NotifierSettings) -> dict[str, Any]:
    """Today's figures from the stats service, read with a crisis-team token of our own."""
    token = issue_token(settings, subject="notifier", role=Role.CRISIS)
    response = httpx.get(
        f"{settings.stats_base_url}/v1/stats/today",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    figures: dict[str, Any] = response.json()
    return figures


@dataclass
class NotifierRuntime:
    settings: NotifierSettings
    engine: Engine
    clock: Clock
    channels: Channels
    publish_failure: FailurePublisher

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def fetch_crisis_figures(self) -> dict[str, Any]:
        return fetch_crisis_figures(self.settings)


def bootstrap(settings: NotifierSettings, *, clock: Clock | None = None) -> NotifierRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    return NotifierRuntime(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        channels=Channels(
            mailer=SmtpMailer(settings), sms=TwilioSms(settings), renderer=Renderer()
        ),
        publish_failure=FailurePublisher(settings),
    )
