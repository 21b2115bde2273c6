"""Recompute the whole read model from the topics: for a new figure, a changed rule, or a
database that was lost. Directory first, so every report finds its unit; then reports; then
triggers. Events are applied with the same handler the consumer uses."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import structlog
from sqlalchemy.engine import Engine

from halsosupport.consumer import Consumed
from halsosupport.kafka import read_all
from schemas import decode
from schemas.topics import CASES, DIRECTORY, REPORTS, TRIGGERS
from services.stats import handlers
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.adapters.tables import metadata

log = structlog.get_logger("stats.rebuild")
BATCH = 500


def clear(engine: Engine) -> None:
    """Empty every read-model table (the schema stays; migrations own it)."""
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def rebuild(
    engine: Engine,
    bootstrap_servers: str,
    today: date,
    on_progress: Callable[[str, int, int], None] = lambda topic, done, total: None,
    security: Mapping[str, Any] | None = None,
) -> dict[str, int]:
    """Apply every event of the four topics; returns how many per topic (unreadable skipped).
    Open spells are counted as away up to `today`."""
    clear(engine)
    applied: dict[str, int] = {}
    for topic in (DIRECTORY, REPORTS, TRIGGERS, CASES):
        applied[topic] = _apply_topic(
            engine, bootstrap_servers, topic, today, on_progress, security=security
        )
    with SqlUnitOfWork(engine) as uow:  # counted once, from the spells: see defer_counts
        handlers.rebuild_counts(uow, today)
        uow.commit()
    return applied


def _apply(engine: Engine, batch: list[Consumed], today: date) -> int:
    with SqlUnitOfWork(engine) as uow:
        return handlers.apply_batch(uow=uow, batch=batch, today=today, counting=False).events


def _apply_topic(
    engine: Engine,
    bootstrap_servers: str,
    topic: str,
    today: date,
    on_progress: Callable[[str, int, int], None],
    *,
    security: Mapping[str, Any] | None,
) -> int:
    batch: list[Consumed] = []
    count = 0
    records = read_all(
        bootstrap_servers,
        topic,
        on_progress=lambda done, total: on_progress(topic, done, total),
        security=security,
    )
    for offset, (_key, value) in enumerate(records):
        if value is None:
            continue  # a tombstone after an erasure: nothing to apply
        try:
            event = decode(value)
        except ValueError:
            log.warning("rebuild_skipped_unreadable", topic=topic)
            continue
        batch.append(Consumed(topic=topic, partition=-1, offset=offset, event=event))
        if len(batch) >= BATCH:
            count += _apply(engine, batch, today)
            batch = []
    if batch:
        count += _apply(engine, batch, today)
    return count
