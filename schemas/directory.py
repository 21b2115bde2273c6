"""`halsosupport.directory.v1` (compacted): who works where and whom to tell.

The only topic that carries names and contact details, because the notifier needs them.
Personnummer never leaves the intake service.
"""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import topics
from schemas.envelope import EmployeeEvent, Event


class Gender(StrEnum):
    """As recorded by HR, for the key figures by gender only."""

    WOMAN = "F"
    MAN = "M"
    OTHER = "X"


class Placement(BaseModel):
    """Where an employee worked from `valid_from` up to, not including, `valid_to`."""

    model_config = ConfigDict(frozen=True)

    workplace_id: str
    valid_from: date
    valid_to: date | None = None


class DepartmentPeriod(BaseModel):
    """Which department a workplace belonged to from `valid_from` up to `valid_to`."""

    model_config = ConfigDict(frozen=True)

    department_id: str
    valid_from: date
    valid_to: date | None = None


class EmployeeUpserted(EmployeeEvent):
    """The whole current record of one employee; `org` says where they work now and
    `placements` where they worked before, so history stays in the unit it happened in."""

    topic: ClassVar[str] = topics.DIRECTORY
    event_type: Literal["EmployeeUpserted"] = "EmployeeUpserted"

    name: str
    email: str | None = None
    phone: str | None = Field(default=None, description="E.164")
    employment_degree_percent: int = Field(default=100, ge=0, le=100)
    gender: Gender | None = None
    birth_year: int | None = None
    employed_from: date | None = None
    employed_to: date | None = None
    placements: list[Placement] = []
    sms_opt_out: bool = Field(default=False, description="the employee sent STOP")


class EmployeeErased(Event):
    """The employee was erased: every service deletes or anonymises what it holds on them.
    Followed on this topic by a tombstone (the key with no value), so compaction drops the
    employee's `EmployeeUpserted` for good."""

    topic: ClassVar[str] = topics.DIRECTORY
    event_type: Literal["EmployeeErased"] = "EmployeeErased"

    employee_id: str = Field(min_length=1, max_length=64)

    def partition_key(self) -> str:
        return self.employee_id


class WorkplaceUpserted(Event):
    """A workplace (enhet) with its department and the people who act for it."""

    topic: ClassVar[str] = topics.DIRECTORY
    event_type: Literal["WorkplaceUpserted"] = "WorkplaceUpserted"

    workplace_id: str
    name: str
    department_id: str
    manager_id: str | None = None
    deputy_manager_id: str | None = None
    scheduler_id: str | None = Field(default=None, description="resursplanerare, if any")
    department_history: list[DepartmentPeriod] = []

    def partition_key(self) -> str:
        return f"workplace:{self.workplace_id}"


class DepartmentUpserted(Event):
    """A department (förvaltning) and its HR specialist."""

    topic: ClassVar[str] = topics.DIRECTORY
    event_type: Literal["DepartmentUpserted"] = "DepartmentUpserted"

    department_id: str
    name: str
    hr_specialist_id: str | None = None

    def partition_key(self) -> str:
        return f"department:{self.department_id}"


class ContactRole(StrEnum):
    """Organisation-wide roles that are not tied to one workplace or department."""

    REHAB_COORDINATOR = "rehab_coordinator"
    PAYROLL = "payroll"
    OCCUPATIONAL_HEALTH = "occupational_health"


class ContactUpserted(Event):
    """Someone the notifier may write to for a role: a person or a shared mailbox. `scope` is
    a department id, or `*` for the whole organisation."""

    topic: ClassVar[str] = topics.DIRECTORY
    event_type: Literal["ContactUpserted"] = "ContactUpserted"

    contact_id: str
    role: ContactRole
    scope: str = "*"
    name: str
    email: str | None = None
    phone: str | None = None

    def partition_key(self) -> str:
        return f"contact:{self.contact_id}"
