"""What the notifier's handlers need from the outside world."""

from typing import Protocol

from halsosupport.clock import Clock

__all__ = ["Clock", "Mailer"]


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, message_id: str) -> None:
        """Deliver to the mail server; raise TransientSendError or PermanentSendError."""
        ...
