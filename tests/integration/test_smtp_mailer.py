"""The SMTP mailer keeps one connection while there is mail to send, and replaces it when the
server went away in between (a restart, an idle timeout), so no message is lost to it."""

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from halsosupport.processes import free_port
from services.notifier.adapters.smtp_mailer import SmtpMailer
from services.notifier.settings import NotifierSettings


class Recording:
    def __init__(self) -> None:
        self.received: list[tuple[tuple[str, int], str]] = []  # (client address, Message-ID)

    async def handle_DATA(self, _server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = (envelope.original_content or b"").decode()
        message_id = next(
            line.split(":", 1)[1].strip()
            for line in content.splitlines()
            if line.startswith("Message-ID:")
        )
        self.received.append((session.peer, message_id))
        return "250 OK"


def send(mailer: SmtpMailer, n: int) -> None:
    mailer.send(to="chef@example.org", subject="Sjukanmälan", body="text", html=None,
                message_id=f"<{n}@halsosupport>")  # fmt: skip


def test_one_connection_carries_many_messages_and_a_restarted_server_gets_the_next():
    port = free_port()
    handler = Recording()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    mailer = SmtpMailer(NotifierSettings(smtp_port=port))
    try:
        for n in range(3):
            send(mailer, n)
        assert len({peer for peer, _ in handler.received}) == 1
        server.stop()  # the server restarts while the mailer holds its connection
        server = Controller(handler, hostname="127.0.0.1", port=port)
        server.start()
        send(mailer, 3)
        mailer.close()
        send(mailer, 4)  # after close, a new connection
    finally:
        mailer.close()
        server.stop()
    assert [mid for _, mid in handler.received] == [f"<{n}@halsosupport>" for n in range(5)]
    assert len({peer for peer, _ in handler.received}) == 3
