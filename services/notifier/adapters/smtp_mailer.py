"""Sending mail over SMTP, with failures classified as the retry policy needs them."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate

from services.notifier.adapters.errors import PermanentSendError, TransientSendError
from services.notifier.settings import NotifierSettings

__all__ = ["PermanentSendError", "SmtpMailer", "TransientSendError"]


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings

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
            with smtplib.SMTP(
                self.settings.smtp_host,
                self.settings.smtp_port,
                timeout=self.settings.smtp_timeout_s,
            ) as smtp:
                if self.settings.smtp_starttls:
                    smtp.starttls()
                if self.settings.smtp_username and self.settings.smtp_password:
                    smtp.login(
                        self.settings.smtp_username, self.settings.smtp_password.get_secret_value()
                    )
                smtp.send_message(message)
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
