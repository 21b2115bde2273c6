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


class Workplace(NotifierTable, table=True):
    workplace_id: str = Field(primary_key=True, max_length=64)
    name: str
    department_id: str = Field(max_length=64)
    manager_id: str | None = Field(default=None, max_length=64)
    deputy_manager_id: str | None = Field(default=None, max_length=64)


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
    recipient_id: str | None = Field(default=None, max_length=64)
    channel: str = Field(max_length=16)
    template: str = Field(max_length=64)
    context: dict[str, Any] = Field(sa_type=JSON)
    status: str = Field(default="pending", max_length=16, index=True)  # pending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    last_error: str | None = None
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    subject: str | None = None
