"""Development SMTP server: accepts every message and keeps it as an .eml file for inspection,
with a small read-only web page to read them (a mailbox, not a mail client).

Run with `halsosupport mail`; files land in `var/mail/` named by arrival time and a counter,
so `ls var/mail` lists them in order. `--refuse-for SECONDS` makes it answer every sender with
`421` (service not available, try again later) for that long after it starts, as a real server
does while it is overloaded or being maintained: for trying how the notifier rides out an outage.
The page (default http://127.0.0.1:1080/) lists the newest
first and shows one message: its plain-text part, and its HTML part in a sandboxed frame that
runs no script and loads nothing from outside, or as escaped source. It only ever reads files.
"""

import email.policy
import html
import itertools
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import structlog
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from halsosupport.localtime import STOCKHOLM

log = structlog.get_logger("halsosupport.devmail")

DEFAULT_WEB_PORT = 1080
LIST_LIMIT = 500  # newest first; a long-running dev box can hold thousands
_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*\.eml$")
_STAMP = "%Y%m%dT%H%M%S%f"


REFUSAL = "421 4.3.2 Service not available, try again later"


class MaildirHandler:
    """Writes each accepted message to `directory` atomically (temp file, then rename).
    Until `refuse_until` (time.monotonic()) it refuses every sender with a transient 421.

    A message whose Message-ID is already in the mailbox is accepted and not stored again, as
    mail systems that honour Message-IDs do: the notifier resends with the same Message-ID when
    a crash left it unknown whether a message went. Each such repeat is listed, one line each,
    in `repeats.txt` (arrival time and Message-ID), so none goes unseen.
    """

    def __init__(self, directory: Path, *, refuse_until: float | None = None) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.refuse_until = refuse_until
        self.refused = 0
        self._counter = itertools.count()
        self._stored: set[str] | None = None  # Message-IDs in the mailbox, read at first use

    def refusing(self) -> bool:
        return self.refuse_until is not None and time.monotonic() < self.refuse_until

    async def handle_MAIL(  # noqa: N802
        self, _server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refusing():
            self.refused += 1
            log.info("mail_refused", refused=self.refused)
            return REFUSAL
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        stamp = datetime.now(UTC).strftime(_STAMP)
        content = envelope.original_content or b""
        message_id = _message_id(content)
        stored = self._stored_ids()
        if message_id and message_id in stored:
            with (self.directory / REPEATS).open("a", encoding="utf-8") as repeats:
                repeats.write(f"{stamp} {message_id}\n")
            log.info("mail_repeat_dropped", message_id=message_id)
            return "250 Message accepted for delivery (a repeat of a delivered Message-ID)"
        name = f"{stamp}-{next(self._counter):06d}.eml"
        temporary = self.directory / f".{name}.tmp"
        temporary.write_bytes(content)
        temporary.rename(self.directory / name)
        if message_id:
            stored.add(message_id)
        log.info("mail_stored", file=name, recipients=len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def _stored_ids(self) -> set[str]:
        if self._stored is None:
            self._stored = {
                message_id
                for path in self.directory.glob("*.eml")
                if (message_id := _message_id(path.read_bytes()))
            }
        return self._stored


REPEATS = "repeats.txt"


def _message_id(content: bytes) -> str | None:
    headers = BytesHeaderParser(policy=email.policy.default).parsebytes(content)
    value = headers.get("Message-ID")
    return str(value).strip() or None if value is not None else None


# --- reading the mailbox ----------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    name: str
    arrived: str  # local time in Sweden, from the file name
    sender: str
    to: str
    subject: str


class Mailbox:
    """The .eml files of one directory, read-only. Names are checked before any file is opened,
    so a request can never reach outside the directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(
            (p.name for p in self.directory.glob("*.eml") if _NAME.match(p.name)), reverse=True
        )

    def path(self, name: str) -> Path | None:
        if not _NAME.match(name):
            return None
        path = self.directory / name
        return path if path.is_file() else None

    def summaries(self, query: str = "", limit: int = LIST_LIMIT) -> tuple[list[Summary], int]:
        """The newest `limit` messages whose sender, recipients or subject contain `query`."""
        wanted = query.strip().lower()
        found: list[Summary] = []
        total = 0
        for name in self.names():
            path = self.path(name)
            if path is None:  # removed since listing
                continue
            try:
                headers = BytesHeaderParser(policy=email.policy.default).parsebytes(
                    path.read_bytes()
                )
                summary = Summary(
                    name=name,
                    arrived=_arrival(name),
                    sender=str(headers.get("From", "")),
                    to=str(headers.get("To", "")),
                    subject=str(headers.get("Subject", "")),
                )
            except (OSError, ValueError, TypeError):
                summary = Summary(name, _arrival(name), "", "", "(unreadable)")
            if wanted and wanted not in f"{summary.sender} {summary.to} {summary.subject}".lower():
                continue
            total += 1
            if len(found) < limit:
                found.append(summary)
        return found, total

    def message(self, name: str) -> EmailMessage | None:
        path = self.path(name)
        if path is None:
            return None
        parsed = BytesParser(policy=email.policy.default).parsebytes(path.read_bytes())
        assert isinstance(parsed, EmailMessage)
        return parsed


def _arrival(name: str) -> str:
    try:
        moment = datetime.strptime(name.split("-")[0], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return ""
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M:%S")


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        return str(part.get_content())
    except (LookupError, ValueError):  # an unknown charset: show what can be shown
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else None


# --- the page ---------------------------------------------------------------------------------

# The page and the sandboxed mail frame (which inherits this policy) may use inline styles and
# data: images; nothing runs, nothing is fetched from elsewhere (no tracking pixels either).
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'"
_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1b;background:#f3f4f1}
header{background:#2f6f4f;color:#fff;padding:10px 20px}header a{color:#fff}
main{padding:16px 20px;max-width:1100px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e4e4e0;vertical-align:top}
th{background:#e9ece6}tr:hover td{background:#f7f9f5}.muted{color:#5b5b57;font-size:13px}
pre{white-space:pre-wrap;background:#fff;padding:12px;border:1px solid #e4e4e0}
iframe{width:100%;height:70vh;border:1px solid #e4e4e0;background:#fff}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#5b5b57}
form{margin:0 0 12px}input{font:inherit;padding:4px 8px;width:320px}
"""


def _page(title: str, body: str, *, refresh: bool = False) -> bytes:
    meta = '<meta http-equiv="refresh" content="15">' if refresh else ""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{meta}'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<header><a href="/">Hälsosupport dev mailbox</a></header><main>{body}</main>'
        "</body></html>"
    ).encode()


def _list_page(mailbox: Mailbox, query: str) -> bytes:
    summaries, total = mailbox.summaries(query)
    e = html.escape
    rows = "".join(
        f'<tr><td class="muted">{e(s.arrived)}</td><td>{e(s.to)}</td>'
        f'<td><a href="/m/{quote(s.name)}">{e(s.subject) or "(no subject)"}</a></td></tr>'
        for s in summaries
    )
    shown = f"newest {len(summaries)} of {total}" if total > len(summaries) else str(total)
    body = (
        f'<form method="get" action="/"><input name="q" value="{e(query)}" '
        'placeholder="filter by recipient or subject"></form>'
        f'<p class="muted">{shown} message{"" if total == 1 else "s"} in '
        f"{e(str(mailbox.directory))} (this page refreshes itself)</p>"
        "<table><thead><tr><th>arrived</th><th>to</th><th>subject</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _page("Mailbox", body, refresh=True)


def _message_page(name: str, message: EmailMessage) -> bytes:
    e = html.escape
    fields = "".join(
        f"<dt>{e(field)}</dt><dd>{e(str(message.get(field, '')))}</dd>"
        for field in ("Date", "From", "To", "Subject", "Message-ID")
        if message.get(field) is not None
    )
    text, markup = _part(message, "plain"), _part(message, "html")
    parts = []
    if text is not None:
        parts.append(f"<h2>Text</h2><pre>{e(text)}</pre>")
    if markup is not None:
        parts.append(
            "<h2>HTML</h2>"
            # sandbox with no allowances: no script, no forms, no navigation of this page
            f'<iframe sandbox="" title="HTML part" srcdoc="{e(markup, quote=True)}"></iframe>'
            f"<details><summary>HTML source</summary><pre>{e(markup)}</pre></details>"
        )
    if not parts:
        parts.append('<p class="muted">No text or HTML part.</p>')
    body = (
        f"<h1>{e(str(message.get('Subject', '')))}</h1><dl>{fields}</dl>{''.join(parts)}"
        f'<p class="muted"><a href="/m/{quote(name)}/raw">raw .eml</a> · {e(name)}</p>'
    )
    return _page(str(message.get("Subject", name)), body)


class _Handler(BaseHTTPRequestHandler):
    server: "MailboxWebServer"

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        mailbox = self.server.mailbox
        if url.path == "/":
            query = parse_qs(url.query).get("q", [""])[0]
            self._send(HTTPStatus.OK, "text/html; charset=utf-8", _list_page(mailbox, query))
            return
        match = re.fullmatch(r"/m/([^/]+?)(/raw)?", url.path)
        path = match and mailbox.path(match[1])
        if not match or path is None:
            self._send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"no such message\n")
            return
        if match[2]:
            self._send(HTTPStatus.OK, "text/plain; charset=utf-8", path.read_bytes())
            return
        message = mailbox.message(match[1])
        assert message is not None
        self._send(HTTPStatus.OK, "text/html; charset=utf-8", _message_page(match[1], message))

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", _CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        log.debug("mailbox_request", line=format % args)


class MailboxWebServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory: Path, host: str, port: int) -> None:
        self.mailbox = Mailbox(directory)
        super().__init__((host, port), _Handler)


# --- running ----------------------------------------------------------------------------------


class DevMail:
    """The capture server and, when `web_port` is given, its mailbox page, in this process."""

    def __init__(
        self,
        directory: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 1025,
        web_port: int | None = DEFAULT_WEB_PORT,
        refuse_for_s: float = 0.0,
    ) -> None:
        self.directory, self.host, self.port, self.web_port = directory, host, port, web_port
        self.refuse_for_s = refuse_for_s
        self.handler = MaildirHandler(directory)
        self.controller = Controller(self.handler, hostname=host, port=port)
        self.web: MailboxWebServer | None = None

    def start(self) -> "DevMail":
        if self.refuse_for_s > 0:
            self.handler.refuse_until = time.monotonic() + self.refuse_for_s
        self.controller.start()
        log.info(
            "mail_server_ready",
            host=self.host,
            port=self.port,
            directory=str(self.directory),
            refusing_for_s=self.refuse_for_s,
        )
        if self.web_port:
            try:
                self.web = MailboxWebServer(self.directory, self.host, self.web_port)
            except OSError as error:  # the page is a convenience: never lose the SMTP server to it
                log.warning("mailbox_page_unavailable", port=self.web_port, error=str(error))
            else:
                threading.Thread(target=self.web.serve_forever, daemon=True).start()
                log.info("mailbox_page_ready", url=self.web_url)
        return self

    @property
    def web_url(self) -> str | None:
        return None if self.web is None else f"http://{self.host}:{self.web.server_address[1]}/"

    def stop(self) -> None:
        if self.web is not None:
            self.web.shutdown()
            self.web.server_close()
        self.controller.stop()

    def __enter__(self) -> "DevMail":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def serve(
    directory: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 1025,
    web_port: int | None = DEFAULT_WEB_PORT,
    refuse_for_s: float = 0.0,
) -> None:
    """Serve until interrupted; `web_port` None or 0 leaves the mailbox page off; for
    `refuse_for_s` after the start every sender is refused with 421."""
    with DevMail(directory, host=host, port=port, web_port=web_port, refuse_for_s=refuse_for_s):
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
