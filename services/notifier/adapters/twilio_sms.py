"""Sending SMS through Twilio's Messages API, with failures classified as the retry policy needs
them. Requests are built by the real `twilio` library; only their destination can be moved, so
tests exercise the same authentication, form encoding and URLs as production."""

from urllib.parse import urlsplit, urlunsplit

import requests
import structlog
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from services.notifier.adapters.errors import PermanentSendError, TransientSendError
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.twilio_sms")

TWILIO_API_BASE_URL = "https://api.twilio.com"
STATUS_CALLBACK_PATH = "/v1/twilio/status"
# Long enough for a slow Twilio, short enough that one stuck send does not hold up the queue.
REQUEST_TIMEOUT_S = 10.0


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped
    """Twilio's own HTTP client, sending to `base_url` instead of Twilio's hosts.

    Every URL is moved (not only api.twilio.com), so a TWILIO_EDGE or TWILIO_REGION in the
    environment cannot send a test's requests to the real Twilio."""

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_S) -> None:
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args: object, **kwargs: object) -> Response:
        return super().request(method, self.redirect(url), *args, **kwargs)

    def redirect(self, url: str) -> str:
        parts = urlsplit(url)
        path = self.base.path + parts.path
        return urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, parts.fragment))


class TwilioSms:
    """The notifier's SmsSender (see ports.SmsSender)."""

    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings
        self.status_callback = settings.notifier_public_base_url.rstrip("/") + STATUS_CALLBACK_PATH
        self.client = _client(settings)

    def send(self, *, to: str, body: str, message_key: str) -> str:
        """Hand one SMS to Twilio; returns Twilio's message SID once Twilio accepted it.

        Twilio's Messages API takes no idempotency key, so `message_key` cannot stop a duplicate
        after a crash between acceptance and bookkeeping; it only ties the log line to the
        notifier's message."""
        if self.client is None or not self.settings.twilio_from_number:
            raise PermanentSendError(
                "Twilio is not configured: set HALSOSUPPORT_TWILIO_ACCOUNT_SID, "
                "HALSOSUPPORT_TWILIO_AUTH_TOKEN and HALSOSUPPORT_TWILIO_FROM_NUMBER"
            )
        try:
            message = self.client.messages.create(
                to=to,
                from_=self.settings.twilio_from_number,
                body=body,
                status_callback=self.status_callback,
            )
        except TwilioException as error:
            raise _classified(error) from error
        except requests.RequestException as error:
            # Timeouts and refused connections: Twilio (or the way to it) is away for now.
            raise TransientSendError(f"Twilio unavailable: {type(error).__name__}") from error
        log.info("sms_accepted", message_sid=message.sid, message_key=message_key)
        return str(message.sid)


def _client(settings: NotifierSettings) -> Client | None:
    """None when the account is not configured, so the service still starts and mail flows."""
    if not settings.twilio_account_sid or settings.twilio_auth_token is None:
        return None
    http_client = (
        TwilioHttpClient(timeout=REQUEST_TIMEOUT_S)
        if settings.twilio_api_base_url.rstrip("/") == TWILIO_API_BASE_URL
        else RedirectingHttpClient(settings.twilio_api_base_url)
    )
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )


def _classified(error: TwilioException) -> Exception:
    """Retry what Twilio may accept later (429, 5xx); give up on what it refused (other 4xx).

    Twilio's message is left out on purpose: it often quotes the phone number, and this text
    ends up in the database and the logs."""
    status = getattr(error, "status", None)
    code = getattr(error, "code", None)
    text = f"Twilio answered {status}" + (f" (error {code})" if code and code != status else "")
    if not isinstance(status, int) or status == 429 or status >= 500:
        return TransientSendError(text)
    return PermanentSendError(text)
