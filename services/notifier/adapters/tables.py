"""The notifier database: its copy of the directory, and every message before it is sent."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

metadata = sa.MetaData()


class NotifierTable(SQLModel):
    metadata = metadata


class Person(NotifierTable, table=True):
    """Anyone the notifier may write to or about, from `EmployeeUpserted`."""

    person_id: str = Field(primary_key=True, max_length=64)
    name: str
    email: str | None = None
    phone: str | None = None
    workplace_id: str | None = Field(default=None, max_length=64)
    sms_opt_out: bool = False
    # The spell this person is away on, from the reports: a manager away hands over to the deputy.
    away_spell_id: str | None = Field(default=None, max_length=64)


class Contact(NotifierTable, table=True):
    """A role holder for the organisation or one department (rehab coordinator, payroll, ...)."""

    contact_id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=32, index=True)
    scope: str = Field(default="*", max_length=64)
    name: str
    email: str | None = None
    phone: str | None = None


class Preference(NotifierTable, table=True):
    """How one person wants their mail: at once, or in one morning digest; and in which language."""

    person_id: str = Field(primary_key=True, max_length=64)
    digest: bool = False
    language: str | None = Field(default=None, max_length=8)
    updated_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Workplace(NotifierTable, table=True):
    workplace_id: str = Field(primary_key=True, max_length=64)
    name: str
    department_id: str = Field(max_length=64)
    manager_id: str | None = Field(default=None, max_length=64)
    deputy_manager_id: str | None = Field(default=None, max_length=64)
    scheduler_id: str | None = Field(default=None, max_length=64)


class Department(NotifierTable, table=True):
    department_id: str = Field(primary_key=True, max_length=64)
    name: str
    hr_specialist_id: str | None = Field(default=None, max_length=64)


class Message(NotifierTable, table=True):
    """One message to one recipient on one channel. `dedupe_key` (event × recipient × channel)
    is unique, so a replayed or redelivered event never produces a second message."""

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(unique=True, max_length=200)
    source_event_id: str = Field(max_length=36, index=True)
    employee_id: str = Field(max_length=64)
    workplace_id: str = Field(max_length=64)
    recipient_id: str | None = Field(default=None, max_length=254)
    # person (an employee id), contact (a contact id) or address (an e-mail address as such)
    recipient_kind: str = Field(default="person", max_length=16)
    recipient_role: str | None = Field(default=None, max_length=32)
    trigger_id: str | None = Field(default=None, max_length=64, index=True)
    channel: str = Field(max_length=16)
    template: str = Field(max_length=64)
    context: dict[str, Any] = Field(sa_type=JSON)
    # pending | sent | failed | skipped (an SMS to someone who sent STOP)
    status: str = Field(default="pending", max_length=16, index=True)
    digest: bool = False  # waits for the recipient's morning digest
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    last_error: str | None = None
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    subject: str | None = None
    provider_id: str | None = Field(default=None, max_length=64, index=True)  # Twilio's SID
    delivery_status: str | None = Field(default=None, max_length=16)  # from Twilio callbacks
    failure_published: bool = False  # NotificationFailed is on the notifications topic
    # Set just before the message is handed to its provider, cleared once the outcome is
    # recorded. Still set on a later round: the process died in between, and whether the
    # provider accepted it is unknown; it is sent again with the same Message-ID, in doubt.
    sending_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    in_doubt: bool = False
