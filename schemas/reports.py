"""`halsosupport.reports.v1`: sick and well reports, one spell of absence at a time."""

from datetime import date
from enum import StrEnum
from typing import ClassVar, Literal, Self

from pydantic import Field, model_validator

from schemas import topics
from schemas.envelope import EmployeeEvent


class AbsenceType(StrEnum):
    """VAB (care of a sick child) is its own absence type and never counts as sickness."""

    SICK = "sick"
    VAB = "vab"


class ReasonVisibility(StrEnum):
    """Who may see the reason: `shared` with the manager; the others stay on the line."""

    SHARED = "shared"
    WITHHELD = "withheld"  # "vill ej ange"
    CONFIDENTIAL = "confidential"  # "sekretess"


class _SpellFacts(EmployeeEvent):
    """What a spell is: shared by the report that opens it and by its corrections."""

    spell_id: str
    absence_type: AbsenceType
    sick_from: date
    degree_percent: int = Field(ge=1, le=100)
    reason_category: str | None = None
    reason_visibility: ReasonVisibility
    work_related: bool = False
    expected_return: date | None = None

    @model_validator(mode="after")
    def _withheld_reason_never_travels(self) -> Self:
        if self.reason_visibility is not ReasonVisibility.SHARED and self.reason_category:
            raise ValueError("reason_category must be empty unless reason_visibility is 'shared'")
        if self.expected_return is not None and self.expected_return <= self.sick_from:
            raise ValueError("expected_return must be after sick_from")
        return self


class SickReported(_SpellFacts):
    """A new spell of absence. The reason travels only when the employee shares it."""

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["SickReported"] = "SickReported"


class WellReported(EmployeeEvent):
    """The employee is back: `well_from` is the first day at work again."""

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["WellReported"] = "WellReported"

    spell_id: str
    well_from: date


class SpellCorrected(_SpellFacts):
    """The line corrected a spell: this is its whole state now (`well_from` None: still open).
    Consumers replace what they knew of the spell; counts are recomputed from it."""

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["SpellCorrected"] = "SpellCorrected"

    well_from: date | None = None
    why: str = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _well_after_sick(self) -> Self:
        if self.well_from is not None and self.well_from <= self.sick_from:
            raise ValueError("well_from must be after sick_from")
        return self


class SpellRetracted(EmployeeEvent):
    """The spell was registered by mistake: it never happened and counts nowhere."""

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["SpellRetracted"] = "SpellRetracted"

    spell_id: str
    why: str = Field(min_length=1, max_length=500)


class ExemptionSet(EmployeeEvent):
    """HR exempted one employee from a rule: suppressed, or held to a higher threshold.

    It travels on the reports topic, keyed like the reports, so the rule engine sees it in order
    with them and a replay rebuilds it. Why it was granted (often a diagnosis) stays in intake.
    It never withdraws a trigger already fired; it applies to what is decided after it.
    """

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["ExemptionSet"] = "ExemptionSet"

    rule_id: str
    suppressed: bool = False
    threshold: int | None = Field(default=None, ge=1)
    valid_until: date | None = None
    decided_by: str

    @model_validator(mode="after")
    def _says_what_changes(self) -> Self:
        if not self.suppressed and self.threshold is None:
            raise ValueError("an exemption either suppresses the rule or raises its threshold")
        return self


class ExemptionLifted(EmployeeEvent):
    """The exemption from `rule_id` no longer applies."""

    topic: ClassVar[str] = topics.REPORTS
    event_type: Literal["ExemptionLifted"] = "ExemptionLifted"

    rule_id: str
    decided_by: str
