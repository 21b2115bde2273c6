"""The envelope every event carries (DESIGN §3).

Each event's own fields sit at the top level beside the envelope. Consumers are tolerant
readers: unknown fields are ignored so a producer may add optional fields without a new topic.
"""

from abc import abstractmethod
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class Channel(StrEnum):
    NURSE = "nurse"
    SMS = "sms"
    VOICE = "voice"
    WEB = "web"
    IMPORT = "import"
    SYSTEM = "system"


class Source(BaseModel):
    """Where an event came from: the channel and the pseudonymous id of who registered it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    channel: Channel
    registered_by: str | None = Field(
        default=None, description="Pseudonymous id of the staff member or component; never a name."
    )


class OrgRef(BaseModel):
    """The employee's place in the organisation at the time of the event."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    workplace_id: str
    department_id: str
    manager_id: str | None = None


class Event(BaseModel):
    """Fields every event has. Subclasses fix `event_type` to their class name."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    topic: ClassVar[str]

    event_id: UUID
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    source: Source

    @abstractmethod
    def partition_key(self) -> str:
        """The Kafka message key: one entity's events share it, so they stay in order."""


class EmployeeEvent(Event):
    """An event about one employee: keyed by the pseudonymous employee id, never a personnummer."""

    employee_id: str = Field(min_length=1, max_length=64)
    org: OrgRef

    def partition_key(self) -> str:
        return self.employee_id
