"""Unit of work over the notifier database."""

from datetime import datetime

from sqlmodel import col, func, select

from halsosupport.db import UnitOfWork
from services.notifier.adapters.tables import Department, Message, Person, Workplace
from services.notifier.domain import PlannedMessage, Routing


class SqlUnitOfWork(UnitOfWork):
    """The notifier service's queries in one transaction."""

    def upsert(self, row: Person | Workplace | Department) -> None:
        self.session.merge(row)

    def person(self, person_id: str | None) -> Person | None:
        return None if person_id is None else self.session.get(Person, person_id)

    def routing(self, workplace_id: str, manager_id: str | None) -> Routing:
        """Who acts for the workplace; the event's manager wins over the directory's."""
        workplace = self.session.get(Workplace, workplace_id)
        department = self.session.get(Department, workplace.department_id) if workplace else None
        return Routing(
            manager_id=manager_id or (workplace.manager_id if workplace else None),
            deputy_manager_id=workplace.deputy_manager_id if workplace else None,
            hr_specialist_id=department.hr_specialist_id if department else None,
        )

    def add_planned(self, planned: list[PlannedMessage], *, at: datetime) -> int:
        """Insert the messages not recorded before; returns how many were new."""
        if not planned:
            return 0
        keys = [p.dedupe_key for p in planned]
        known = set(
            self.session.exec(select(Message.dedupe_key).where(col(Message.dedupe_key).in_(keys)))
        )
        new = [p for p in planned if p.dedupe_key not in known]
        for p in new:
            known.add(p.dedupe_key)
            self.session.add(
                Message(
                    dedupe_key=p.dedupe_key,
                    source_event_id=p.source_event_id,
                    employee_id=p.employee_id,
                    workplace_id=p.workplace_id,
                    recipient_id=p.recipient_id,
                    channel=p.channel,
                    template=p.template,
                    context=p.context,
                    next_attempt_at=at,
                    created_at=at,
                )
            )
        return len(new)

    def due(self, now: datetime, limit: int) -> list[Message]:
        query = (
            select(Message)
            .where(Message.status == "pending", col(Message.next_attempt_at) <= now)
            .order_by(col(Message.id))
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def message(self, message_id: int) -> Message | None:
        return self.session.get(Message, message_id)

    def counts_by_status(self) -> dict[str, int]:
        rows = self.session.exec(select(Message.status, func.count()).group_by(Message.status))
        return {status: int(count) for status, count in rows}
