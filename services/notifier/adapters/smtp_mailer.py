"""Sending mail over SMTP, with failures classified as the retry policy needs them."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.notifier.adapters.errors import PermanentSendError, TransientSendError
from services.notifier.settings import NotifierSettings

__all__ = ["PermanentSendError", "SmtpMailer", "TransientSendError"]


class SmtpMailer:
    """Keeps one SMTP connection while there is mail to send: the sender is one thread, and a
    connection per message (connect, EHLO, QUIT) was ~15 % of each mail's time (~10 ms here)."""

    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def send(self, *, to: str, subject: str, body: str, html: str | None, message_id: str) -> None:
        """Hand one message to the SMTP server; returns only once the server accepted it.

        The Message-ID is derived from the dedupe key, so a resend after a crash between
        acceptance and bookkeeping carries the same id and mail systems can drop it."""
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=True)
        message["Message-ID"] = message_id
        message.set_content(body)
        if html is not None:  # plain text first, HTML as the alternative mail programs prefer
            message.add_alternative(html, subtype="html")
        try:
            self._send(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise TransientSendError(f"recipient deferred: {codes}") from error
            raise PermanentSendError(f"recipient refused: {codes}") from error
        except smtplib.SMTPResponseException as error:
            if 400 <= error.smtp_code < 500:
                raise TransientSendError(f"SMTP {error.smtp_code}") from error
            raise PermanentSendError(f"SMTP {error.smtp_code}") from error
        except (TimeoutError, smtplib.SMTPException, OSError) as error:
            raise TransientSendError(f"SMTP unavailable: {error}") from error

    def _send(self, message: EmailMessage) -> None:
        """On the kept connection; one that the server closed meanwhile (idle, restarted) is
        replaced once. After any failure the connection is dropped, its state being unknown."""
        if self._smtp is not None:
            try:
                self._smtp.send_message(message)
                return
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self.close()
            except BaseException:
                self.close()
                raise
        self._smtp = self._connect()
        try:
            self._smtp.send_message(message)
        except BaseException:
            self.close()
            raise

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(
            self.settings.smtp_host, self.settings.smtp_port, timeout=self.settings.smtp_timeout_s
        )
        try:
            if self.settings.smtp_starttls:
                smtp.starttls()
            if self.settings.smtp_username and self.settings.smtp_password:
                smtp.login(
                    self.settings.smtp_username, self.settings.smtp_password.get_secret_value()
                )
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Say goodbye to the server, if connected (at shutdown, or after a failure)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
