"""The cases database: cases and their documentation (health data, never on the wire), the
directory facts access depends on, the employees' names the pages show, applied event ids,
reminders sent and the outbox."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

metadata = sa.MetaData()
TZ = sa.DateTime(timezone=True)


class CasesTable(SQLModel):
    metadata = metadata


class AppliedEvent(CasesTable, table=True):
    """Every consumed event applied, so a redelivery is a no-op."""

    __tablename__ = "applied_event"
    event_id: str = Field(primary_key=True, max_length=36)


class Case(CasesTable, table=True):
    """One trigger's support case. `trigger_id` is unique: one case per trigger, ever."""

    __tablename__ = "support_case"
    case_id: str = Field(primary_key=True, max_length=64)
    trigger_id: str = Field(unique=True, max_length=128)
    rule_id: str = Field(max_length=64)
    employee_id: str = Field(max_length=64, index=True)
    workplace_id: str = Field(max_length=64)
    department_id: str = Field(max_length=64, index=True)
    manager_id: str | None = Field(default=None, max_length=64, index=True)
    conversation_kind: str = Field(max_length=32)
    owner_role: str = Field(max_length=32)
    owner_id: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=32, index=True)
    opened_on: date
    due_on: date
    booked_at: datetime | None = Field(default=None, sa_type=TZ)
    accepted_on: date | None = None
    declined_on: date | None = None
    decline_reason: str | None = Field(default=None, max_length=32)
    decline_comment: str | None = Field(default=None, sa_type=sa.Text)
    closed_on: date | None = None
    outcome: str | None = Field(default=None, max_length=32)
    trigger_withdrawn: bool = False
    # The trigger named rehab coordinators among its recipients (see access.rehab_on_case).
    rehab_named: bool = False
    action_plan: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    updated_at: datetime = Field(sa_type=TZ)


class Conversation(CasesTable, table=True):
    """A documented omtankesamtal or trepartssamtal (the dialogue guide's form, as JSON)."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="support_case.case_id", max_length=64, index=True)
    kind: str = Field(max_length=32)
    held_on: date
    author_id: str = Field(max_length=128)
    author_role: str = Field(max_length=32)
    form: dict[str, Any] = Field(sa_type=JSON)
    recorded_at: datetime = Field(sa_type=TZ)


class CaseNote(CasesTable, table=True):
    """A note under one of SKR's standard headings."""

    __tablename__ = "case_note"
    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="support_case.case_id", max_length=64, index=True)
    heading: str = Field(max_length=32)
    author_id: str = Field(max_length=128)
    author_role: str = Field(max_length=32)
    note: dict[str, Any] = Field(sa_type=JSON)
    recorded_at: datetime = Field(sa_type=TZ)


class ConsentRow(CasesTable, table=True):
    """The employee's consent to sharing with one outside party."""

    __tablename__ = "consent"
    consent_id: str = Field(primary_key=True, max_length=64)
    case_id: str = Field(foreign_key="support_case.case_id", max_length=64, index=True)
    employee_id: str = Field(max_length=64, index=True)
    party: str = Field(max_length=32)
    party_name: str | None = Field(default=None, max_length=200)  # for `other`
    given_on: date
    valid_until: date
    revoked_on: date | None = None
    recorded_by: str = Field(max_length=128)


class Sharing(CasesTable, table=True):
    """Information shared with an outside party, under a consent valid that day."""

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="support_case.case_id", max_length=64, index=True)
    party: str = Field(max_length=32)
    consent_id: str = Field(max_length=64)
    shared_on: date
    what: str = Field(sa_type=sa.Text)
    recorded_by: str = Field(max_length=128)


class ReminderSent(CasesTable, table=True):
    """A reminder queued: (item kind, item, due/overdue) once ever per case."""

    __tablename__ = "reminder_sent"
    case_id: str = Field(primary_key=True, max_length=64)
    item_kind: str = Field(primary_key=True, max_length=32)
    item_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    sent_on: date


class Workplace(CasesTable, table=True):
    """Who manages a workplace now (the directory): they may see its cases."""

    workplace_id: str = Field(primary_key=True, max_length=64)
    department_id: str = Field(max_length=64)
    manager_id: str | None = Field(default=None, max_length=64, index=True)
    deputy_manager_id: str | None = Field(default=None, max_length=64, index=True)


class Department(CasesTable, table=True):
    """The department's HR specialist (the directory)."""

    department_id: str = Field(primary_key=True, max_length=64)
    hr_specialist_id: str | None = Field(default=None, max_length=64, index=True)


class Person(CasesTable, table=True):
    """An employee's name (the directory), so the pages show whom a case is about; only the
    people on a case read it, and an erasure deletes it."""

    employee_id: str = Field(primary_key=True, max_length=64)
    name: str


class RehabContact(CasesTable, table=True):
    """A rehab coordinator the directory names, for a department or everyone (`*`)."""

    __tablename__ = "rehab_contact"
    contact_id: str = Field(primary_key=True, max_length=64)
    scope: str = Field(max_length=64)


class OutboxMessage(CasesTable, table=True):
    """A case event written in the same transaction as the change it describes."""

    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=36)
    topic: str = Field(max_length=128)
    key: str = Field(max_length=128)
    payload: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=TZ)
    published_at: datetime | None = Field(default=None, sa_type=TZ, index=True)


class BrokerTopic(CasesTable, table=True):
    """The topic ids the relay last published to (a changed id means the broker lost it)."""

    __tablename__ = "broker_topic"
    topic: str = Field(primary_key=True, max_length=128)
    topic_id: str = Field(max_length=36)
    recorded_at: datetime = Field(sa_type=TZ)
