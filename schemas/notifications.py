"""`halsosupport.notifications.v1`: messages that could not be delivered, for whoever must act.

No names, addresses or message text: the failed message is found in the notifier's admin list
by its id.
"""

from typing import ClassVar, Literal

from schemas import topics
from schemas.envelope import Event


class NotificationFailed(Event):
    """A message was given up after its attempts, or refused for good by the provider."""

    topic: ClassVar[str] = topics.NOTIFICATIONS
    event_type: Literal["NotificationFailed"] = "NotificationFailed"

    message_id: int
    template: str
    channel: str
    recipient_role: str | None = None
    employee_id: str | None = None
    attempts: int
    error: str

    def partition_key(self) -> str:
        return str(self.message_id)
