"""Development SMTP server: accepts every message and keeps it as an .eml file for inspection.

Run with `halsosupport mail`; files land in `var/mail/` named by arrival time and a counter,
so `ls var/mail` lists them in order.
"""

import itertools
import time
from datetime import UTC, datetime
from pathlib import Path

import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = structlog.get_logger("halsosupport.devmail")


class MaildirHandler:
    """Writes each accepted message to `directory` atomically (temp file, then rename)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count()

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{next(self._counter):06d}.eml"
        content = envelope.original_content or b""
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(content)
        temporary.rename(self.directory / name)
        log.info("mail_stored", file=name, recipients=len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def serve(directory: Path, *, host: str = "127.0.0.1", port: int = 1025) -> None:
    """Serve until interrupted."""
    controller = Controller(MaildirHandler(directory), hostname=host, port=port)
    controller.start()
    log.info("mail_server_ready", host=host, port=port, directory=str(directory))
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
