"""The unit of work over the cases database: one transaction per command or batch of events,
the outbox included."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import col, or_, select

from halsosupport.db import UnitOfWork
from halsosupport.outbox import OutboxQueries
from services.cases.access import CasePeople, rehab_on_case
from services.cases.adapters.tables import (
    AppliedEvent,
    BrokerTopic,
    Case,
    CaseNote,
    ConsentRow,
    Conversation,
    Department,
    OutboxMessage,
    Person,
    RehabContact,
    ReminderSent,
    Sharing,
    Workplace,
)
from services.cases.domain import ACTIVE, ENDED, ERASED, PURGED


class SqlUnitOfWork(UnitOfWork, OutboxQueries):
    outbox_table = OutboxMessage
    topic_table = BrokerTopic

    # applied events
    def already_applied(self, event_ids: list[str]) -> set[str]:
        if not event_ids:
            return set()
        query = select(AppliedEvent.event_id).where(col(AppliedEvent.event_id).in_(event_ids))
        return set(self.session.exec(query))

    def mark_applied(self, event_ids: Iterable[str]) -> None:
        self.session.add_all(AppliedEvent(event_id=e) for e in event_ids)

    # cases
    def case(self, case_id: str, *, for_update: bool = False) -> Case | None:
        query = select(Case).where(Case.case_id == case_id)
        if for_update:
            query = query.with_for_update()
        return self.session.exec(query).first()

    def case_of_trigger(self, trigger_id: str) -> Case | None:
        return self.session.exec(select(Case).where(Case.trigger_id == trigger_id)).first()

    def add(self, row: object) -> None:
        self.session.add(row)

    def all_cases(self) -> list[Case]:
        return list(self.session.exec(select(Case)))

    def active_cases(self) -> list[Case]:
        return list(self.session.exec(select(Case).where(col(Case.status).in_(list(ACTIVE)))))

    def candidate_cases(self, *, subject: str, departments: Iterable[str]) -> list[Case]:
        """Cases the caller might be on (access decides): their workplaces', departments' and
        the ones they own or were named manager of."""
        managed = select(Workplace.workplace_id).where(
            or_(Workplace.manager_id == subject, Workplace.deputy_manager_id == subject)
        )
        hr_of = select(Department.department_id).where(Department.hr_specialist_id == subject)
        scopes = list(
            self.session.exec(select(RehabContact.scope).where(RehabContact.contact_id == subject))
        )
        conditions = [
            col(Case.manager_id) == subject,
            col(Case.owner_id) == subject,
            col(Case.workplace_id).in_(managed),
            col(Case.department_id).in_(hr_of),
            col(Case.department_id).in_([*departments, *scopes]),
        ]
        query = select(Case) if "*" in scopes else select(Case).where(or_(*conditions))
        return list(self.session.exec(query.order_by(col(Case.due_on), col(Case.case_id))))

    def people_on(self, case: Case) -> CasePeople:
        workplace = self.session.get(Workplace, case.workplace_id)
        department = self.session.get(Department, case.department_id)
        rehab = self.session.exec(
            select(RehabContact.contact_id).where(
                col(RehabContact.scope).in_([case.department_id, "*"])
            )
        )
        managers = {case.manager_id, workplace.manager_id if workplace else None}
        return CasePeople(
            department_id=case.department_id,
            managers=frozenset(m for m in managers if m),
            hr_specialist_id=department.hr_specialist_id if department else None,
            rehab_coordinators=rehab_on_case(
                owner_role=case.owner_role,
                owner_id=case.owner_id,
                rehab_named=case.rehab_named,
                in_scope=rehab,
            ),
        )

    def rehab_coordinator_for(self, department_id: str) -> str | None:
        """The department's own rehab coordinator, else the organisation's, if exactly one."""
        for scope in (department_id, "*"):
            ids = list(
                self.session.exec(
                    select(RehabContact.contact_id).where(RehabContact.scope == scope)
                )
            )
            if len(ids) == 1:
                return ids[0]
            if ids:
                return None  # several: the first to act on the case takes it
        return None

    # documentation
    def conversations(self, case_id: str) -> list[Conversation]:
        query = select(Conversation).where(Conversation.case_id == case_id)
        return list(self.session.exec(query.order_by(col(Conversation.id))))

    def notes(self, case_id: str) -> list[CaseNote]:
        query = select(CaseNote).where(CaseNote.case_id == case_id)
        return list(self.session.exec(query.order_by(col(CaseNote.id))))

    def consents(self, case_id: str) -> list[ConsentRow]:
        query = select(ConsentRow).where(ConsentRow.case_id == case_id)
        return list(self.session.exec(query.order_by(col(ConsentRow.given_on))))

    def consent(self, consent_id: str) -> ConsentRow | None:
        return self.session.get(ConsentRow, consent_id)

    def sharings(self, case_id: str) -> list[Sharing]:
        query = select(Sharing).where(Sharing.case_id == case_id)
        return list(self.session.exec(query.order_by(col(Sharing.shared_on), col(Sharing.id))))

    # reminders
    def reminders_sent(self, case_id: str) -> set[tuple[str, str, str]]:
        rows = self.session.exec(select(ReminderSent).where(ReminderSent.case_id == case_id))
        return {(r.item_kind, r.item_id, r.kind) for r in rows}

    def erase_employee(self, employee_id: str, pseudonym: str) -> int:
        """Erasure: the person's name and the documentation of their cases go, the cases' dates
        and statuses stay under `pseudonym` (see `_strip_documentation`)."""
        case_ids = list(
            self.session.exec(select(Case.case_id).where(Case.employee_id == employee_id))
        )
        self.strip_documentation(case_ids, pseudonym)
        self.session.execute(sa.delete(Person).where(col(Person.employee_id) == employee_id))
        return len(case_ids)

    def ended_with_documentation(self) -> list[Case]:
        """Cases that ended and were not stripped yet (by an erasure or the purge)."""
        query = (
            select(Case)
            .where(col(Case.status).in_([s.value for s in ENDED]))
            .where(~col(Case.employee_id).startswith(PURGED))
            .where(~col(Case.employee_id).startswith(ERASED))
        )
        return list(self.session.exec(query))

    def strip_documentation(self, case_ids: list[str], pseudonym: str) -> None:
        """The documentation goes (conversations, notes, plans, consents, what was shared, the
        reason given for declining); the cases' dates and statuses stay under `pseudonym`, so
        the figures stay the same and nothing leads back to the person."""
        if not case_ids:
            return
        for table in (Conversation, CaseNote, ConsentRow, Sharing):
            self.session.execute(sa.delete(table).where(col(table.case_id).in_(case_ids)))
        self.session.execute(
            sa.update(Case)
            .where(col(Case.case_id).in_(case_ids))
            .values(employee_id=pseudonym, decline_comment=None, action_plan=None)
        )

    # the directory
    def upsert(self, row: object) -> None:
        self.session.merge(row)

    def names_of(self, employee_ids: Iterable[str]) -> dict[str, str]:
        """The directory's names of these employees; one the directory has not named yet, or
        whose case was stripped to a pseudonym, is missing."""
        wanted, found = sorted(set(employee_ids)), {}
        for start in range(0, len(wanted), 500):  # within every database's limit on parameters
            chunk = wanted[start : start + 500]
            query = select(Person).where(col(Person.employee_id).in_(chunk))
            found.update({p.employee_id: p.name for p in self.session.exec(query)})
        return found

    def remove_rehab_contact(self, contact_id: str) -> None:
        row = self.session.get(RehabContact, contact_id)
        if row is not None:
            self.session.delete(row)
