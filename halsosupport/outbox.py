"""The transactional outbox's queries, for a service whose unit of work mixes them in.

A service keeps two tables of its own (the outbox and the broker's topic ids, with the columns
of intake's `outbox` and `broker_topic`) and sets `outbox_table` and `topic_table`; events are
queued with `record_event` in the transaction that makes the change they describe, and
halsosupport.outbox_relay publishes them.
"""

from datetime import datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from schemas import encode
from schemas.envelope import Event


class OutboxQueries:
    """Mixin for a UnitOfWork (it provides `session`)."""

    session: Session
    outbox_table: ClassVar[Any]
    topic_table: ClassVar[Any]

    def record_event(self, event: Event, *, at: datetime) -> None:
        """Queue an event for the relay, in this transaction."""
        self.session.add(
            self.outbox_table(
                event_id=str(event.event_id),
                topic=event.topic,
                key=event.partition_key(),
                payload=encode(event).decode(),
                created_at=at,
            )
        )

    def unpublished(self, limit: int) -> list[Any]:
        table = self.outbox_table
        query = (
            select(table)
            .where(col(table.published_at).is_(None))
            .order_by(col(table.id))
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def outbox_count(self, topics: set[str] | None = None) -> int:
        table = self.outbox_table
        query = select(func.count()).select_from(table)
        if topics:
            query = query.where(col(table.topic).in_(topics))
        return int(self.session.exec(query).one())

    def outbox_after(self, after_id: int, topics: set[str] | None, limit: int) -> list[Any]:
        """Recorded events after `after_id`, in the order they were recorded."""
        table = self.outbox_table
        query = select(table).where(col(table.id) > after_id)
        if topics:
            query = query.where(col(table.topic).in_(topics))
        return list(self.session.exec(query.order_by(col(table.id)).limit(limit)))

    def mark_published(self, ids: list[int], *, at: datetime) -> None:
        table = self.outbox_table
        self.session.execute(
            sa.update(table)
            .where(col(table.id).in_(ids), col(table.published_at).is_(None))
            .values(published_at=at)
        )

    def broker_topic_ids(self) -> dict[str, str]:
        """The topic ids the relay last published to, by topic name."""
        return {row.topic: row.topic_id for row in self.session.exec(select(self.topic_table))}

    def record_broker_topic_ids(self, topic_ids: dict[str, str], *, at: datetime) -> None:
        for topic, topic_id in topic_ids.items():
            self.session.merge(self.topic_table(topic=topic, topic_id=topic_id, recorded_at=at))

    def outbox_lag(self) -> tuple[int, datetime | None]:
        """How many events wait for the broker, and since when."""
        table = self.outbox_table
        count, oldest = self.session.exec(
            select(func.count(), func.min(table.created_at)).where(
                col(table.published_at).is_(None)
            )
        ).one()
        return int(count), oldest
