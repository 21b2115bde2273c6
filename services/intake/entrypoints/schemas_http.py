"""Request and response bodies of the intake API."""

from datetime import UTC, date, datetime
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from schemas.reports import AbsenceType, ReasonVisibility
from services.intake import handlers, personnummer


def _assume_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# SQLite keeps no time zone: every moment is stored in UTC and must say so on the way out.
UtcDateTime = Annotated[datetime, AfterValidator(_assume_utc)]


class In(BaseModel):
    """A request body: unknown fields refused, and no NUL character in any text (PostgreSQL
    cannot store one; the OpenAPI fuzzer found that it was a 500)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class EmployeeRefIn(In):
    model_config = ConfigDict(extra="forbid")

    employee_id: str | None = Field(default=None, min_length=1, max_length=64)
    personnummer: str | None = Field(
        default=None, description="10 or 12 digits, with or without separator"
    )

    @model_validator(mode="after")
    def _exactly_one_identifier(self) -> Self:
        if (self.employee_id is None) == (self.personnummer is None):
            raise ValueError("give exactly one of employee_id and personnummer")
        return self

    def ref(self, today: date) -> handlers.EmployeeRef:
        if self.personnummer is None:
            return handlers.EmployeeRef(employee_id=self.employee_id)
        return handlers.EmployeeRef(
            personnummer=personnummer.parse(self.personnummer, today=today).canonical
        )


def _blank_is_none(value: str | None) -> str | None:
    return value or None


class SickReportIn(EmployeeRefIn):
    absence_type: AbsenceType = AbsenceType.SICK
    sick_from: date | None = Field(default=None, description="defaults to today")
    degree_percent: int = Field(default=100, ge=1, le=100)
    reason_category: str | None = None
    reason_visibility: ReasonVisibility = Field(
        default=ReasonVisibility.WITHHELD,
        description="the reason reaches the manager only when 'shared'",
    )
    work_related: bool = False
    expected_return: date | None = None
    followup_on: date | None = Field(default=None, description="defaults to day 3 of the spell")
    note: str | None = Field(default=None, max_length=2000, description="stays in intake")

    _reason = field_validator("reason_category")(_blank_is_none)


class WellReportIn(EmployeeRefIn):
    well_from: date | None = Field(default=None, description="first day back; defaults to today")


class CorrectionIn(In):
    """Only the fields given are changed; `well_from: null` reopens a closed spell."""

    model_config = ConfigDict(extra="forbid")

    why: str = Field(min_length=3, max_length=500, description="why the spell is corrected")
    absence_type: AbsenceType | None = None
    sick_from: date | None = None
    well_from: date | None = None
    degree_percent: int | None = Field(default=None, ge=1, le=100)
    reason_category: str | None = None
    reason_visibility: ReasonVisibility | None = None
    work_related: bool | None = None
    expected_return: date | None = None
    followup_on: date | None = None

    _reason = field_validator("reason_category")(_blank_is_none)

    def changes(self) -> dict[str, object]:
        nullable = {"well_from", "expected_return", "followup_on", "reason_category"}
        given = self.model_fields_set - {"why"}
        return {
            name: getattr(self, name)
            for name in given
            if getattr(self, name) is not None or name in nullable
        }


class RetractionIn(In):
    model_config = ConfigDict(extra="forbid")

    why: str = Field(min_length=3, max_length=500, description="why the spell never happened")


class FollowupIn(In):
    model_config = ConfigDict(extra="forbid")

    outcome: str = Field(min_length=1, max_length=2000, description="what came of the call-back")


class RegisteredOut(BaseModel):
    spell_id: str
    event_id: UUID


class OpenSpellOut(BaseModel):
    spell_id: str
    absence_type: AbsenceType
    sick_from: date
    expected_return: date | None


class EmployeeOut(BaseModel):
    employee_id: str
    name: str
    personnummer_masked: str = Field(description="YYYYMMDD-****: enough to confirm who it is")
    phone: str | None
    workplace_id: str
    workplace_name: str
    department_id: str
    employed_to: date | None
    open_spell: OpenSpellOut | None


class EmployeesPage(BaseModel):
    items: list[EmployeeOut]
    total: int
    limit: int
    offset: int


class SpellOut(BaseModel):
    """A spell as the line sees it: the line alone sees withheld reasons and its own notes."""

    spell_id: str
    absence_type: AbsenceType
    sick_from: date
    well_from: date | None
    degree_percent: int
    reason_category: str | None
    reason_visibility: ReasonVisibility
    work_related: bool
    expected_return: date | None
    followup_on: date | None
    followup_outcome: str | None
    note: str | None
    channel: str
    registered_at: UtcDateTime
    retracted: bool

    def off_the_line(self) -> Self:
        """As a manager or HR may see it: a reason only when shared, no notes or outcomes."""
        shared = self.reason_visibility == ReasonVisibility.SHARED
        return self.model_copy(
            update={
                "reason_category": self.reason_category if shared else None,
                "note": None,
                "followup_outcome": None,
            }
        )


class FollowupOut(BaseModel):
    spell_id: str
    employee_id: str
    name: str
    phone: str | None
    workplace_name: str
    absence_type: AbsenceType
    sick_from: date
    well_from: date | None
    outcome: str | None
    done_at: UtcDateTime | None


class ReasonCategoryOut(BaseModel):
    code: str
    label: str


class ExemptionIn(In):
    """HR's decision. The rules (one of suppressed/threshold, valid_until not past, why given)
    are checked by the handler, so every caller gets the same answers."""

    model_config = ConfigDict(extra="forbid")

    suppressed: bool = Field(default=False, description="the rule never fires for the employee")
    threshold: int | None = Field(default=None, description="the rule fires at this count instead")
    valid_until: date | None = Field(
        default=None, description="the last day it applies; none: until lifted"
    )
    why: str = Field(description="1–500 characters, for HR's record; never leaves intake")


class LiftIn(In):
    model_config = ConfigDict(extra="forbid")

    why: str = Field(description="1–500 characters, for HR's record; never leaves intake")


class DecisionOut(BaseModel):
    event_id: UUID = Field(description="the event carrying the decision (or the one in force)")
    changed: bool = Field(description="false: these terms were already in force (200)")


class ExemptionTermsOut(BaseModel):
    suppressed: bool
    threshold: int | None
    valid_until: date | None


class ExemptionOut(ExemptionTermsOut):
    rule_id: str
    in_force: bool = Field(description="false once valid_until has passed")
    why: str
    decided_by: str
    decided_at: UtcDateTime
    event_id: UUID


class ExemptionChangeOut(BaseModel):
    rule_id: str
    kind: Literal["set", "lifted"]
    why: str
    by: str
    at: UtcDateTime
    before: ExemptionTermsOut | None = Field(description="none: there was no exemption")
    after: ExemptionTermsOut | None = Field(description="none: it was lifted")
    event_id: UUID


class ExemptionsOut(BaseModel):
    employee_id: str
    exemptions: list[ExemptionOut]
    history: list[ExemptionChangeOut] = Field(description="every decision, newest first")
