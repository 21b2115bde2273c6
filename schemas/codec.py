"""Wire format: UTF-8 JSON, one event per message, the event type as discriminator."""

from typing import Annotated, TypeAlias

from pydantic import Field, TypeAdapter

from schemas.cases import (
    ActionDue,
    ActionOverdue,
    CaseClosed,
    CaseOpened,
    CaseStatusChanged,
    ConsentRecorded,
    ConsentRevoked,
    SupportDeclined,
)
from schemas.directory import (
    ContactUpserted,
    DepartmentUpserted,
    EmployeeErased,
    EmployeeUpserted,
    WorkplaceUpserted,
)
from schemas.envelope import Event
from schemas.notifications import NotificationFailed
from schemas.reports import (
    ExemptionLifted,
    ExemptionSet,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from schemas.triggers import TriggerFired, TriggerWithdrawn

ReportEvent: TypeAlias = Annotated[
    SickReported | WellReported | SpellCorrected | SpellRetracted | ExemptionSet | ExemptionLifted,
    Field(discriminator="event_type"),
]
TriggerEvent: TypeAlias = Annotated[
    TriggerFired | TriggerWithdrawn, Field(discriminator="event_type")
]
CaseEvent: TypeAlias = Annotated[
    CaseOpened
    | CaseStatusChanged
    | CaseClosed
    | SupportDeclined
    | ActionDue
    | ActionOverdue
    | ConsentRecorded
    | ConsentRevoked,
    Field(discriminator="event_type"),
]
DirectoryEvent: TypeAlias = Annotated[
    EmployeeUpserted | EmployeeErased | WorkplaceUpserted | DepartmentUpserted | ContactUpserted,
    Field(discriminator="event_type"),
]
AnyEvent: TypeAlias = Annotated[
    SickReported
    | WellReported
    | SpellCorrected
    | SpellRetracted
    | ExemptionSet
    | ExemptionLifted
    | TriggerFired
    | TriggerWithdrawn
    | EmployeeUpserted
    | EmployeeErased
    | WorkplaceUpserted
    | DepartmentUpserted
    | ContactUpserted
    | NotificationFailed
    | CaseOpened
    | CaseStatusChanged
    | CaseClosed
    | SupportDeclined
    | ActionDue
    | ActionOverdue
    | ConsentRecorded
    | ConsentRevoked,
    Field(discriminator="event_type"),
]

EVENT_TYPES: tuple[type[Event], ...] = (
    SickReported,
    WellReported,
    SpellCorrected,
    SpellRetracted,
    ExemptionSet,
    ExemptionLifted,
    TriggerFired,
    TriggerWithdrawn,
    EmployeeUpserted,
    EmployeeErased,
    WorkplaceUpserted,
    DepartmentUpserted,
    ContactUpserted,
    NotificationFailed,
    CaseOpened,
    CaseStatusChanged,
    CaseClosed,
    SupportDeclined,
    ActionDue,
    ActionOverdue,
    ConsentRecorded,
    ConsentRevoked,
)

_any_event: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)  # type: ignore[arg-type,unused-ignore]


def encode(event: Event) -> bytes:
    """Serialise an event for the wire."""
    return event.model_dump_json().encode()


def decode(raw: bytes | str) -> AnyEvent:
    """Parse and validate a message; pydantic.ValidationError when it is no known event."""
    return _any_event.validate_json(raw)
