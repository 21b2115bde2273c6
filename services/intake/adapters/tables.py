"""The intake database: the system of record. Everything downstream can be rebuilt from it."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

metadata = sa.MetaData()


class IntakeTable(SQLModel):
    metadata = metadata


class Department(IntakeTable, table=True):
    department_id: str = Field(primary_key=True, max_length=64)
    name: str
    hr_specialist_id: str | None = Field(default=None, max_length=64)


class Workplace(IntakeTable, table=True):
    workplace_id: str = Field(primary_key=True, max_length=64)
    name: str
    department_id: str = Field(foreign_key="department.department_id", max_length=64)
    manager_id: str | None = Field(default=None, max_length=64)
    deputy_manager_id: str | None = Field(default=None, max_length=64)
    scheduler_id: str | None = Field(default=None, max_length=64)


class WorkplacePeriod(IntakeTable, table=True):
    """Which department a workplace belonged to when: a reorganisation keeps the workplace's
    id and closes one period at its effective date."""

    __tablename__ = "workplace_period"
    id: int | None = Field(default=None, primary_key=True)
    workplace_id: str = Field(foreign_key="workplace.workplace_id", index=True, max_length=64)
    department_id: str = Field(foreign_key="department.department_id", max_length=64)
    valid_from: date
    valid_to: date | None = None


class Contact(IntakeTable, table=True):
    """An organisation-wide role holder: rehab coordinator, payroll, occupational health."""

    contact_id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=32)
    scope: str = Field(default="*", max_length=64)
    name: str
    email: str | None = None
    phone: str | None = None


class Employee(IntakeTable, table=True):
    """`employee_id` is the pseudonymous id that leaves this database; personnummer never does."""

    employee_id: str = Field(primary_key=True, max_length=64)
    personnummer: str = Field(unique=True, max_length=12)
    name: str
    email: str | None = None
    phone: str | None = None
    workplace_id: str = Field(foreign_key="workplace.workplace_id", index=True, max_length=64)
    employment_degree_percent: int = 100
    gender: str | None = Field(default=None, max_length=1)
    birth_year: int | None = None
    employed_from: date | None = None
    employed_to: date | None = None
    sms_opt_out: bool = False


class Placement(IntakeTable, table=True):
    """Where an employee worked when; the open period (valid_to None) is the current one."""

    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employee.employee_id", index=True, max_length=64)
    workplace_id: str = Field(foreign_key="workplace.workplace_id", max_length=64)
    valid_from: date
    valid_to: date | None = None


class Spell(IntakeTable, table=True):
    """One continuous absence. The nurse's note and a withheld reason stay here."""

    spell_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(foreign_key="employee.employee_id", index=True, max_length=64)
    absence_type: str = Field(max_length=8)
    sick_from: date
    well_from: date | None = None
    degree_percent: int = 100
    reason_category: str | None = None
    reason_visibility: str = Field(max_length=16)
    work_related: bool = False
    expected_return: date | None = None
    followup_on: date | None = None
    note: str | None = None
    channel: str = Field(max_length=16)
    registered_by: str = Field(max_length=64)
    registered_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    well_registered_by: str | None = Field(default=None, max_length=64)
    well_registered_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    retracted: bool = False
    followup_outcome: str | None = None
    followup_by: str | None = Field(default=None, max_length=64)
    followup_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class SpellChange(IntakeTable, table=True):
    """Every correction and retraction, with who, when, why and the spell before and after."""

    __tablename__ = "spell_change"
    id: int | None = Field(default=None, primary_key=True)
    spell_id: str = Field(foreign_key="spell.spell_id", index=True, max_length=64)
    kind: str = Field(max_length=16)  # corrected | retracted
    why: str
    by: str = Field(max_length=64)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    before: dict[str, Any] = Field(sa_type=sa.JSON)
    after: dict[str, Any] = Field(sa_type=sa.JSON)


class IdempotentResponse(IntakeTable, table=True):
    """The answer given to a request with an Idempotency-Key, stored with the change it made,
    so a retried request gets the same answer and never makes a second event."""

    __tablename__ = "idempotent_response"
    caller: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=128)
    request_hash: str = Field(max_length=64)
    status_code: int
    body: dict[str, Any] = Field(sa_type=sa.JSON)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class OutboxMessage(IntakeTable, table=True):
    """An event written in the same transaction as the change it describes; the relay publishes
    rows in id order and marks them only after the broker acknowledged them."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=36)
    topic: str = Field(max_length=128)
    key: str = Field(max_length=128)
    payload: str = Field(sa_type=sa.Text)
    created_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    published_at: datetime | None = Field(
        default=None, sa_type=sa.DateTime(timezone=True), index=True
    )


class BrokerTopic(IntakeTable, table=True):
    """The identity (Kafka topic id) of each topic as the relay last published to it: a topic
    whose id changed, or that is gone, was lost with the broker's data and is replayed."""

    __tablename__ = "broker_topic"

    topic: str = Field(primary_key=True, max_length=128)
    topic_id: str = Field(max_length=36)
    recorded_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


class Exemption(IntakeTable, table=True):
    """HR's exemption of one employee from one trigger rule, as it stands; lifting removes it.
    `why` (often a diagnosis) stays here: the events carry only the terms."""

    employee_id: str = Field(foreign_key="employee.employee_id", primary_key=True, max_length=64)
    rule_id: str = Field(primary_key=True, max_length=64)
    suppressed: bool = False
    threshold: int | None = None
    valid_until: date | None = None
    why: str
    decided_by: str = Field(max_length=64)
    decided_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    event_id: str = Field(max_length=36)  # the ExemptionSet that put these terms in force


class ExemptionChange(IntakeTable, table=True):
    """Every exemption set, changed or lifted: who, when, why, and the terms before and after
    (None before the first one, and after a lift)."""

    __tablename__ = "exemption_change"
    id: int | None = Field(default=None, primary_key=True)
    employee_id: str = Field(foreign_key="employee.employee_id", index=True, max_length=64)
    rule_id: str = Field(max_length=64)
    kind: str = Field(max_length=8)  # set | lifted
    why: str
    by: str = Field(max_length=64)
    at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    event_id: str = Field(max_length=36)
