"""Unit of work over the notifier database."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import col, func, or_, select

from halsosupport.audit import as_utc
from halsosupport.db import UnitOfWork
from halsosupport.retention import message_due
from services.notifier.adapters.tables import (
    Contact,
    Department,
    Message,
    Person,
    Preference,
    Workplace,
)
from services.notifier.domain import CONTACT_ROLES, EMAIL, PlannedMessage, Recipient, Routing

ERASED = "erased"


class SqlUnitOfWork(UnitOfWork):
    """The notifier service's queries in one transaction."""

    def upsert(self, row: Person | Workplace | Department | Contact) -> None:
        self.session.merge(row)

    def upsert_person(self, person: Person) -> None:
        """The directory's view of a person; whether they are away stays the reports' business."""
        known = self.session.get(Person, person.person_id)
        if known is not None:
            person.away_spell_id = known.away_spell_id
        self.session.merge(person)

    def erase_person(self, person_id: str) -> int:
        """Forget a person: their directory row and preferences go; messages about or to them
        keep only their dedupe key (so a replay sends nothing twice) and what they were, and a
        pending one is not sent. Returns the messages anonymised."""
        for row in (self.session.get(Person, person_id), self.session.get(Preference, person_id)):
            if row is not None:
                self.session.delete(row)
        about = or_(
            Message.employee_id == person_id,
            (Message.recipient_kind == "person") & (Message.recipient_id == person_id),
        )
        messages = list(self.session.exec(select(Message).where(about)))
        for message in messages:
            message.employee_id = ERASED
            if message.recipient_kind == "person" and message.recipient_id == person_id:
                message.recipient_id = ERASED
            message.context, message.subject, message.last_error = {}, None, None
            if message.status == "pending":
                message.status = "skipped"
            self.session.add(message)
        return len(messages)

    def purge_messages(self, *, now: datetime, days: int) -> int:
        """Delete sent, failed and skipped messages past their retention."""
        old = [
            m.id
            for m in self.session.exec(select(Message).where(Message.status != "pending"))
            if message_due(status=m.status, created_at=as_utc(m.created_at), now=now, days=days)
        ]
        if old:
            self.session.execute(sa.delete(Message).where(col(Message.id).in_(old)))
        return len(old)

    def set_away(self, person_id: str, spell_id: str | None, *, only_if: str | None = None) -> None:
        """Mark a person away on a spell, or back (only if they were away on `only_if`)."""
        person = self.session.get(Person, person_id)
        if person is None or (only_if is not None and person.away_spell_id != only_if):
            return
        person.away_spell_id = spell_id
        self.session.add(person)

    def contact(self, contact_id: str) -> Contact | None:
        return self.session.get(Contact, contact_id)

    def preference(self, person_id: str) -> Preference | None:
        return self.session.get(Preference, person_id)

    def told_of_trigger(self, trigger_id: str) -> list[Recipient]:
        """Who was mailed about a trigger (for its withdrawal)."""
        query = select(Message).where(
            Message.trigger_id == trigger_id,
            Message.channel == EMAIL,
            Message.template == "trigger",
        )
        return [
            Recipient(m.recipient_kind, m.recipient_id, m.recipient_role or "")
            for m in self.session.exec(query)
            if m.recipient_id
        ]

    def failed(self, limit: int = 200) -> list[Message]:
        query = (
            select(Message)
            .where(Message.status == "failed")
            .order_by(col(Message.id).desc())
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def unpublished_failures(self, limit: int = 100) -> list[Message]:
        query = (
            select(Message)
            .where(Message.status == "failed", col(Message.failure_published).is_(False))
            .order_by(col(Message.id))
            .limit(limit)
        )
        return list(self.session.exec(query).all())

    def by_provider_id(self, provider_id: str) -> Message | None:
        query = select(Message).where(Message.provider_id == provider_id)
        return self.session.exec(query).first()

    def exists(self, dedupe_key: str) -> bool:
        query = select(Message.id).where(Message.dedupe_key == dedupe_key)
        return self.session.exec(query).first() is not None

    def person(self, person_id: str | None) -> Person | None:
        return None if person_id is None else self.session.get(Person, person_id)

    def routing(
        self, workplace_id: str, manager_id: str | None, department_id: str | None = None
    ) -> Routing:
        """Who acts for the workplace; the event's manager wins over the directory's."""
        workplace = self.session.get(Workplace, workplace_id)
        department_id = department_id or (workplace.department_id if workplace else None)
        department = self.session.get(Department, department_id) if department_id else None
        candidates = [
            manager_id or (workplace.manager_id if workplace else None),
            workplace.deputy_manager_id if workplace else None,
            department.hr_specialist_id if department else None,
        ]
        away = frozenset(
            self.session.exec(
                select(Person.person_id).where(
                    col(Person.person_id).in_([c for c in candidates if c]),
                    col(Person.away_spell_id).is_not(None),
                )
            )
        )
        query = select(Contact).where(
            col(Contact.role).in_([r.value for r in CONTACT_ROLES]),
            or_(Contact.scope == "*", Contact.scope == (department_id or "")),
        )
        found = sorted(self.session.exec(query), key=lambda c: c.contact_id)
        contacts: dict[str, tuple[str, ...]] = {}
        for role in {c.role for c in found}:
            # The department's own role holders, else the organisation's.
            own = [c.contact_id for c in found if c.role == role and c.scope != "*"]
            contacts[role] = tuple(own or [c.contact_id for c in found if c.role == role])
        return Routing(
            manager_id=candidates[0],
            deputy_manager_id=candidates[1],
            hr_specialist_id=candidates[2],
            scheduler_id=workplace.scheduler_id if workplace else None,
            department_id=department_id,
            contacts=contacts,
            away=away,
        )

    def add_planned(
        self,
        planned: list[PlannedMessage],
        *,
        at: datetime,
        send_at: dict[str, datetime] | None = None,
    ) -> int:
        """Insert the messages not recorded before; returns how many were new. `send_at` holds
        a later time for messages that wait for their recipient's morning digest."""
        send_at = send_at or {}
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
                    recipient_id=p.recipient.recipient_id,
                    recipient_kind=p.recipient.kind,
                    recipient_role=p.recipient.role,
                    trigger_id=p.trigger_id,
                    channel=p.channel,
                    template=p.template,
                    context=p.context,
                    digest=p.dedupe_key in send_at,
                    next_attempt_at=send_at.get(p.dedupe_key, at),
                    created_at=at,
                )
            )
        return len(new)

    def bring_forward(self, channel: str, now: datetime) -> int:
        """Messages of `channel` waiting after a failed try become due now: the provider has
        just taken a message, so they need not sit out the rest of their backoff."""
        query = (
            sa.update(Message)
            .where(
                col(Message.status) == "pending",
                col(Message.channel) == channel,
                col(Message.attempts) > 0,
                col(Message.next_attempt_at) > now,
                col(Message.digest).is_(False),
            )
            .values(next_attempt_at=now)
        )
        return int(self.session.execute(query).rowcount or 0)

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

    def count_in_doubt(self) -> int:
        """Messages sent again after a crash left it unknown whether the provider had them."""
        query = select(func.count()).select_from(Message).where(col(Message.in_doubt).is_(True))
        return int(self.session.exec(query).one())
