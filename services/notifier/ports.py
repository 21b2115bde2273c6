"""What the notifier's handlers need from the outside world."""

from typing import Protocol

from halsosupport.clock import Clock

__all__ = ["Clock", "Mailer", "SmsSender"]


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, body: str, html: str | None, message_id: str) -> None:
        """Deliver to the mail server; raise TransientSendError or PermanentSendError."""
        ...

    def close(self) -> None:
        """Let go of any connection kept between messages."""


class SmsSender(Protocol):
    def send(self, *, to: str, body: str, message_key: str) -> str:
        """Hand an SMS to the provider and return its id; raise TransientSendError or
        PermanentSendError."""
        ...
