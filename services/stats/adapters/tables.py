"""The stats read model, fed from the reports and directory topics."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

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


class Employee(StatsTable, table=True):
    """No names: only what the figures are broken down by."""

    employee_id: str = Field(primary_key=True, max_length=64)
    workplace_id: str = Field(max_length=64, index=True)
    employment_degree_percent: int = 100
    gender: str | None = Field(default=None, max_length=1)
    birth_year: int | None = None


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
