"""`halsosupport.triggers.v1`: what a rule asks of whom, and withdrawals when its basis goes."""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas import topics
from schemas.envelope import EmployeeEvent


class RecipientRole(StrEnum):
    """Roles of DESIGN §4, kept apart."""

    MANAGER = "manager"
    DEPUTY_MANAGER = "deputy_manager"
    HR_SPECIALIST = "hr_specialist"
    REHAB_COORDINATOR = "rehab_coordinator"
    OCCUPATIONAL_HEALTH = "occupational_health"
    SCHEDULER = "scheduler"
    PAYROLL = "payroll"
    NURSE = "nurse"
    EMPLOYEE = "employee"


class Occasion(BaseModel):
    """One counted occasion: dates only, never a reason."""

    model_config = ConfigDict(frozen=True)

    spell_id: str
    sick_from: date
    well_from: date | None = None


class TriggerFired(EmployeeEvent):
    """A rule's threshold was crossed upward. `trigger_id` is deterministic, so replays dedupe."""

    topic: ClassVar[str] = topics.TRIGGERS
    event_type: Literal["TriggerFired"] = "TriggerFired"

    trigger_id: str
    rule_id: str
    policy_version: str
    occasion_count: int
    window_start: date
    window_end: date
    spell_ids: list[str]
    occasions: list[Occasion]
    due_on: date | None = None
    recipient_roles: list[RecipientRole]
    day_number: int | None = Field(
        default=None, description="for a day rule: the day of the spell it was due on"
    )
    explanation: str = Field(
        default="", description="policy, rule, measure and window in words; dates only"
    )


class TriggerWithdrawn(EmployeeEvent):
    """A correction or retraction removed the basis of an earlier `TriggerFired`."""

    topic: ClassVar[str] = topics.TRIGGERS
    event_type: Literal["TriggerWithdrawn"] = "TriggerWithdrawn"

    trigger_id: str
    rule_id: str
    why: str
