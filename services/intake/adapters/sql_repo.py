"""The unit of work over the intake database: one transaction per command, the outbox included."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import col, func, select

from halsosupport.db import UnitOfWork
from schemas import encode
from schemas.envelope import Event
from services.intake.adapters.tables import (
    BrokerTopic,
    Contact,
    Department,
    Employee,
    Exemption,
    ExemptionChange,
    IdempotentResponse,
    OutboxMessage,
    Placement,
    Spell,
    SpellChange,
    Workplace,
    WorkplacePeriod,
)


@dataclass(frozen=True)
class EmployeeQuery:
    """A nurse's search: the beginnings of name words, a canonical personnummer, or phone
    digits ("ann berg" finds Anna Berglund, not Hanna)."""

    text: str
    personnummer: str | None = None
    phone_digits: str | None = None

    def condition(self) -> sa.ColumnElement[bool]:
        words = [w for w in self.text.lower().split() if w]
        alternatives: list[sa.ColumnElement[bool]] = []
        if words:
            name = func.lower(Employee.name)
            alternatives.append(
                sa.and_(
                    *(
                        sa.or_(
                            name.startswith(word, autoescape=True),
                            name.contains(" " + word, autoescape=True),
                        )
                        for word in words
                    )
                )
            )
        if self.personnummer:
            alternatives.append(Employee.personnummer == self.personnummer)
        if self.phone_digits and len(self.phone_digits) >= 6:
            alternatives.append(
                col(Employee.phone).contains(self.phone_digits[-9:], autoescape=True)
            )
        return sa.or_(*alternatives) if alternatives else sa.false()


class SqlUnitOfWork(UnitOfWork):
    """The intake's queries, including the outbox, in one transaction."""

    # employees and organisation
    def employee(self, employee_id: str, *, for_update: bool = False) -> Employee | None:
        query = select(Employee).where(Employee.employee_id == employee_id)
        if for_update:
            # Serialises reports for one employee on PostgreSQL, so outbox ids follow commit
            # order per employee (SQLite already serialises writers).
            query = query.with_for_update()
        return self.session.exec(query).first()

    def employee_id_by_personnummer(self, personnummer: str) -> str | None:
        query = select(Employee.employee_id).where(Employee.personnummer == personnummer)
        return self.session.exec(query).first()

    def employees_page(
        self, *, limit: int, offset: int, matching: EmployeeQuery | None = None
    ) -> tuple[list[tuple[Employee, Workplace]], int]:
        """A page of the directory, in name order, optionally filtered by a search."""
        condition = sa.true() if matching is None else matching.condition()
        total = self.session.exec(select(func.count()).select_from(Employee).where(condition)).one()
        rows = self.session.exec(
            select(Employee, Workplace)
            .join(Workplace, col(Employee.workplace_id) == col(Workplace.workplace_id))
            .where(condition)
            .order_by(col(Employee.name), col(Employee.employee_id))
            .limit(limit)
            .offset(offset)
        ).all()
        return [(e, w) for e, w in rows], int(total)

    def employee_by_phone(self, phone: str) -> Employee | None:
        return self.session.exec(select(Employee).where(Employee.phone == phone)).first()

    def open_spells(self, employee_ids: list[str]) -> dict[str, Spell]:
        query = select(Spell).where(
            col(Spell.employee_id).in_(employee_ids),
            col(Spell.well_from).is_(None),
            col(Spell.retracted).is_(False),
        )
        return {s.employee_id: s for s in self.session.exec(query)}

    def placements_of(self, employee_id: str) -> list[Placement]:
        query = (
            select(Placement)
            .where(Placement.employee_id == employee_id)
            .order_by(col(Placement.valid_from))
        )
        return list(self.session.exec(query))

    def periods_of(self, workplace_id: str) -> list[WorkplacePeriod]:
        query = (
            select(WorkplacePeriod)
            .where(WorkplacePeriod.workplace_id == workplace_id)
            .order_by(col(WorkplacePeriod.valid_from))
        )
        return list(self.session.exec(query))

    def all_contacts(self) -> dict[str, Contact]:
        return {c.contact_id: c for c in self.session.exec(select(Contact))}

    def workplace(self, workplace_id: str) -> Workplace | None:
        return self.session.get(Workplace, workplace_id)

    def all_departments(self) -> dict[str, Department]:
        return {d.department_id: d for d in self.session.exec(select(Department)).all()}

    def all_workplaces(self) -> dict[str, Workplace]:
        return {w.workplace_id: w for w in self.session.exec(select(Workplace)).all()}

    def all_employees_by_personnummer(self) -> dict[str, Employee]:
        return {e.personnummer: e for e in self.session.exec(select(Employee)).all()}

    def add(
        self,
        row: Department
        | Workplace
        | Employee
        | Spell
        | SpellChange
        | Placement
        | WorkplacePeriod
        | Contact
        | Exemption
        | ExemptionChange,
    ) -> None:
        self.session.add(row)

    def remove(self, row: Exemption) -> None:
        self.session.delete(row)

    def flush(self) -> None:
        self.session.flush()

    # spells
    def spells_of(self, employee_id: str) -> list[Spell]:
        """Every spell of the employee, retracted ones included, oldest first."""
        query = select(Spell).where(Spell.employee_id == employee_id).order_by(col(Spell.sick_from))
        return list(self.session.exec(query).all())

    def spell(self, spell_id: str) -> Spell | None:
        return self.session.get(Spell, spell_id)

    def followups_on(self, day: date) -> list[tuple[Spell, Employee, Workplace]]:
        """The nurse's call-backs due on `day`, for spells not retracted."""
        rows = self.session.exec(
            select(Spell, Employee, Workplace)
            .join(Employee, col(Spell.employee_id) == col(Employee.employee_id))
            .join(Workplace, col(Employee.workplace_id) == col(Workplace.workplace_id))
            .where(Spell.followup_on == day, col(Spell.retracted).is_(False))
            .order_by(col(Employee.name))
        ).all()
        return [(s, e, w) for s, e, w in rows]

    # exemptions
    def exemption(self, employee_id: str, rule_id: str) -> Exemption | None:
        return self.session.get(Exemption, (employee_id, rule_id))

    def exemptions_of(self, employee_id: str) -> list[Exemption]:
        query = (
            select(Exemption)
            .where(Exemption.employee_id == employee_id)
            .order_by(col(Exemption.rule_id))
        )
        return list(self.session.exec(query))

    def exemption_history(self, employee_id: str) -> list[ExemptionChange]:
        """Every decision about the employee's exemptions, oldest first."""
        query = (
            select(ExemptionChange)
            .where(ExemptionChange.employee_id == employee_id)
            .order_by(col(ExemptionChange.id))
        )
        return list(self.session.exec(query))

    # idempotency
    def stored_response(self, caller: str, key: str) -> IdempotentResponse | None:
        return self.session.get(IdempotentResponse, (caller, key))

    def store_response(self, response: IdempotentResponse) -> None:
        self.session.add(response)

    # outbox
    def record_event(self, event: Event, *, at: datetime) -> None:
        """Queue an event for the relay, in this transaction."""
        self.session.add(
            OutboxMessage(
                event_id=str(event.event_id),
                topic=event.topic,
                key=event.partition_key(),
                payload=encode(event).decode(),
                created_at=at,
            )
        )

    def unpublished(self, limit: int) -> list[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(col(OutboxMessage.published_at).is_(None))
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def outbox_count(self, topics: set[str] | None = None) -> int:
        query = select(func.count()).select_from(OutboxMessage)
        if topics:
            query = query.where(col(OutboxMessage.topic).in_(topics))
        return int(self.session.exec(query).one())

    def outbox_after(
        self, after_id: int, topics: set[str] | None, limit: int
    ) -> list[OutboxMessage]:
        """Recorded events after `after_id`, in the order they were recorded."""
        query = select(OutboxMessage).where(col(OutboxMessage.id) > after_id)
        if topics:
            query = query.where(col(OutboxMessage.topic).in_(topics))
        return list(self.session.exec(query.order_by(col(OutboxMessage.id)).limit(limit)))

    def mark_published(self, ids: list[int], *, at: datetime) -> None:
        self.session.execute(
            sa.update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), col(OutboxMessage.published_at).is_(None))
            .values(published_at=at)
        )

    def broker_topic_ids(self) -> dict[str, str]:
        """The topic ids the relay last published to, by topic name."""
        return {row.topic: row.topic_id for row in self.session.exec(select(BrokerTopic))}

    def record_broker_topic_ids(self, topic_ids: dict[str, str], *, at: datetime) -> None:
        for topic, topic_id in topic_ids.items():
            self.session.merge(BrokerTopic(topic=topic, topic_id=topic_id, recorded_at=at))

    def outbox_lag(self) -> tuple[int, datetime | None]:
        """How many events wait for the broker, and since when."""
        count, oldest = self.session.exec(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                col(OutboxMessage.published_at).is_(None)
            )
        ).one()
        return int(count), oldest
