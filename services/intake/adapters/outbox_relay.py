"""Intake's outbox relay: the shared relay (halsosupport.outbox_relay) over intake's database.

Kept as intake's own names so its callers (bootstrap, `halsosupport replay`, tests) read as
before; the relay's behaviour is documented where it is implemented.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Engine

from halsosupport import outbox_relay
from halsosupport.outbox_relay import ordered_producer, send_acknowledged
from services.intake.adapters.sql_repo import SqlUnitOfWork

__all__ = ["OutboxRelay", "ordered_producer", "replay", "republish", "send_acknowledged"]
CLIENT_ID = "halsosupport-intake-relay"


class OutboxRelay(outbox_relay.OutboxRelay):
    def __init__(self, *, engine: Engine, bootstrap_servers: str, **options: Any) -> None:
        super().__init__(
            engine=engine,
            store=SqlUnitOfWork,
            client_id=CLIENT_ID,
            bootstrap_servers=bootstrap_servers,
            **options,
        )


def replay(
    engine: Engine,
    bootstrap_servers: str,
    *,
    topics: set[str] | None = None,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
    batch_size: int = 2000,
    security: Mapping[str, Any] | None = None,
) -> int:
    """Publish every event intake ever recorded, in order (see halsosupport.outbox_relay)."""
    return outbox_relay.replay(
        engine,
        bootstrap_servers,
        store=SqlUnitOfWork,
        topics=topics,
        on_progress=on_progress,
        batch_size=batch_size,
        security=security,
    )


def republish(engine: Engine, producer: Any, **options: Any) -> int:
    """Intake's recorded events through `producer` (see halsosupport.outbox_relay.republish)."""
    return outbox_relay.republish(engine, producer, store=SqlUnitOfWork, **options)
