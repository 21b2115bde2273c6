"""The stats read model, fed from the reports and directory topics."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

metadata = sa.MetaData()


class StatsTable(SQLModel):
    metadata = metadata


class AppliedEvent(StatsTable, table=True):
    """Every event applied, so a redelivery is a no-op."""

    __tablename__ = "applied_event"
    event_id: str = Field(primary_key=True, max_length=36)


class Department(StatsTable, table=True):
    department_id: str = Field(primary_key=True, max_length=64)
    name: str


class Workplace(StatsTable, table=True):
    workplace_id: str = Field(primary_key=True, max_length=64)
    name: str
    department_id: str = Field(max_length=64, index=True)
    # The manager's page shows only their own workplaces.
    manager_id: str | None = Field(default=None, max_length=64, index=True)
    deputy_manager_id: str | None = Field(default=None, max_length=64)


class Employee(StatsTable, table=True):
    """What the figures are broken down by; the name only for the manager's own page."""

    employee_id: str = Field(primary_key=True, max_length=64)
    workplace_id: str = Field(max_length=64, index=True)
    employment_degree_percent: int = 100
    gender: str | None = Field(default=None, max_length=1)
    birth_year: int | None = None
    name: str = ""
    employed_from: date | None = None
    employed_to: date | None = None
    # [{workplace_id, valid_from, valid_to}]: figures count each day in the unit of that day
    placements: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)


class Spell(StatsTable, table=True):
    spell_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(max_length=64, index=True)
    workplace_id: str = Field(max_length=64, index=True)
    department_id: str = Field(max_length=64)
    absence_type: str = Field(max_length=8)
    sick_from: date = Field(index=True)
    well_from: date | None = Field(default=None, index=True)
    degree_percent: int = 100
    reason_category: str | None = None
    expected_return: date | None = None
    reported_on: date | None = Field(default=None, index=True)  # the day the line registered it
    corrected: bool = False


class TriggerRecord(StatsTable, table=True):
    """A trigger fired (and maybe withdrawn), for the follow-up figures and the manager's page."""

    __tablename__ = "trigger_record"
    trigger_id: str = Field(primary_key=True, max_length=64)
    employee_id: str = Field(max_length=64, index=True)
    workplace_id: str = Field(max_length=64, index=True)
    department_id: str = Field(max_length=64)
    rule_id: str = Field(max_length=64)
    fired_on: date
    due_on: date | None = None
    withdrawn: bool = False
    handled: bool = False
