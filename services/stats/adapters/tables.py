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


class CaseRecord(StatsTable, table=True):
    """A follow-up case (halsosupport.cases.v1) of a trigger: when its conversation was first
    held and when it closed, to set beside the triggers fired. Dates and ids only."""

    __tablename__ = "case_record"
    case_id: str = Field(primary_key=True, max_length=64)
    trigger_id: str = Field(max_length=128, index=True)
    held_on: date | None = None
    closed_on: date | None = None
    outcome: str | None = Field(default=None, max_length=32)


class WorkplaceDay(StatsTable, table=True):
    """The counts of one workplace on one day (`services.stats.day_counts`): what the today and
    daily figures read, so they cost the same at any size of history."""

    __tablename__ = "workplace_day"
    workplace_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True, index=True)
    new_sick: int = 0
    new_vab: int = 0
    back: int = 0
    absent_sick: int = 0
    absent_vab: int = 0


class DepartmentDay(StatsTable, table=True):
    """The sums of `WorkplaceDay` per department, kept beside it so a year of daily figures
    reads a few thousand rows; a workplace moving to another department takes its rows along."""

    __tablename__ = "department_day"
    department_id: str = Field(primary_key=True, max_length=64)
    day: date = Field(primary_key=True)
    new_sick: int = 0
    new_vab: int = 0
    back: int = 0
    absent_sick: int = 0
    absent_vab: int = 0


class CauseDay(StatsTable, table=True):
    """Sick absence by shared reason per day, for the whole organisation."""

    __tablename__ = "cause_day"
    day: date = Field(primary_key=True)
    reason_category: str = Field(primary_key=True, max_length=64)
    absent_sick: int = 0


class DayCountsState(StatsTable, table=True):
    """Open spells are counted as away up to and including `through`; None means the counts
    were never built (a new or upgraded database) and are built from the spells. The one row
    is also the lock that keeps two processes from moving the counts forward at once."""

    __tablename__ = "day_counts_state"
    id: int = Field(default=1, primary_key=True)
    through: date | None = None
