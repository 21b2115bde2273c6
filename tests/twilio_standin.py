"""A local stand-in for Twilio's Messages API: a real HTTP server on 127.0.0.1.

The notifier's TwilioSms talks to it through the real `twilio` library, so what it sees here is
what Twilio would see: the basic auth, the form fields, the URL with the account SID. It accepts
every well-authenticated message, or answers the next requests with a failure when told to.
"""

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

MESSAGES_PATH = "/2010-04-01/Accounts/{account_sid}/Messages.json"


@dataclass(frozen=True)
class SentSms:
    """One message as Twilio received it, with the SID it answered."""

    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    form: dict[str, str]


@dataclass(frozen=True)
class Failure:
    status: int
    body: dict[str, Any] | None


@dataclass
class TwilioStandin:
    account_sid: str
    auth_token: str
    messages: list[SentSms] = field(default_factory=list)
    requests: int = 0
    _failures: list[Failure] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail_next(
        self, times: int, status: int, code: int | None = None, message: str = ""
    ) -> None:
        """Answer the next `times` requests with `status`: with Twilio's error JSON when `code`
        is given, else with an empty body, as a proxy in front of Twilio might."""
        body = None
        if code is not None:
            body = {
                "code": code,
                "message": message or f"stand-in error {code}",
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            }
        with self._lock:
            self._failures.extend(Failure(status, body) for _ in range(times))

    def start(self) -> "TwilioStandin":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _answer(
        self, path: str, authorization: str | None, form: dict[str, str]
    ) -> tuple[int, dict[str, Any] | None]:
        """(status, JSON body) for one request; records it when Twilio would have sent it."""
        with self._lock:
            self.requests += 1
            if path != MESSAGES_PATH.format(account_sid=self.account_sid):
                return 404, _error(20404, "The requested resource was not found", 404)
            if authorization != _basic(self.account_sid, self.auth_token):
                return 401, _error(20003, "Authenticate", 401)
            if self._failures:
                failure = self._failures.pop(0)
                return failure.status, failure.body
            sms = SentSms(
                sid="SM" + secrets.token_hex(16),
                account_sid=self.account_sid,
                to=form.get("To", ""),
                from_=form.get("From", ""),
                body=form.get("Body", ""),
                status_callback=form.get("StatusCallback"),
                form=form,
            )
            self.messages.append(sms)
        return 201, _message_resource(sms)


def _handler_for(standin: TwilioStandin) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[-1] for key, values in parse_qs(raw).items()}
            status, body = standin._answer(self.path, self.headers.get("Authorization"), form)
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test output would otherwise carry a line per request."""

    return Handler


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _error(code: int, message: str, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _message_resource(sms: SentSms) -> dict[str, Any]:
    sid = sms.sid
    return {
        "sid": sid,
        "account_sid": sms.account_sid,
        "to": sms.to,
        "from": sms.from_,
        "body": sms.body,
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "api_version": "2010-04-01",
        "date_created": None,
        "date_sent": None,
        "date_updated": None,
        "messaging_service_sid": None,
        "uri": f"/2010-04-01/Accounts/{sms.account_sid}/Messages/{sid}.json",
        "subresource_uris": {
            "media": f"/2010-04-01/Accounts/{sms.account_sid}/Messages/{sid}/Media.json"
        },
    }
