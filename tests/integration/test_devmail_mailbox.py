"""The development mailbox: mail sent through the real capture server over SMTP is listed on its
page, newest first, and shown without letting the mail's own HTML run."""

import smtplib
import socket
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from halsosupport import processes
from halsosupport.devmail import DevMail
from halsosupport.processes import free_port
from tests.support import eventually

HOSTILE_HTML = (
    '<p>Hej <b>Chefa</b></p><script>document.title="ran"</script>'
    '<img src="http://tracker.example/pixel.gif">'
)


def send(port: int, subject: str, to: str = "chefa@kommun.example", html: str | None = None):
    message = EmailMessage()
    message["From"] = "Hälsosupport <halsosupport@kommun.example>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"Brödtext för {subject}\n")
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[DevMail]:
    with DevMail(tmp_path / "mail", port=free_port(), web_port=free_port()) as running:
        yield running


def test_a_mail_sent_over_smtp_is_listed_newest_first_and_shown(mailbox: DevMail):
    send(mailbox.port, "Sjukdom: Testa Testsson frånvarande från 2026-11-16")
    time.sleep(0.01)  # distinct arrival stamps
    send(mailbox.port, "Friskanmälan: Testa Testsson åter", html=HOSTILE_HTML)
    assert mailbox.web_url is not None

    page = httpx.get(mailbox.web_url, timeout=10)
    assert page.status_code == 200
    assert "default-src 'none'" in page.headers["content-security-policy"]
    first = page.text.index("Friskanmälan: Testa Testsson åter")
    assert first < page.text.index("Sjukdom: Testa Testsson frånvarande från 2026-11-16")
    assert "chefa@kommun.example" in page.text

    names = sorted(p.name for p in (mailbox.directory).glob("*.eml"))
    assert len(names) == 2
    shown = httpx.get(f"{mailbox.web_url}m/{names[-1]}", timeout=10)
    assert shown.status_code == 200
    assert "Brödtext för Friskanmälan: Testa Testsson åter" in shown.text
    # The mail's HTML is only ever data here: inside a sandboxed frame's attribute, or escaped.
    assert '<iframe sandbox=""' in shown.text
    assert "<script" not in shown.text and "<img" not in shown.text
    assert "&lt;script&gt;" in shown.text

    raw = httpx.get(f"{mailbox.web_url}m/{names[0]}/raw", timeout=10)
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/plain")
    assert "Subject: =?utf-8?" in raw.text or "Subject: Sjukdom" in raw.text


def test_the_list_can_be_filtered_and_nothing_outside_the_folder_is_served(mailbox: DevMail):
    (mailbox.directory.parent / "secret.eml").write_text("Subject: outside\n\nnot yours\n")
    send(mailbox.port, "Till Chefa", to="chefa@kommun.example")
    send(mailbox.port, "Till Lön", to="lon@kommun.example")
    assert mailbox.web_url is not None

    filtered = httpx.get(mailbox.web_url, params={"q": "lon@"}, timeout=10).text
    assert "Till Lön" in filtered and "Till Chefa" not in filtered
    for path in ["m/..%2Fsecret.eml", "m/../secret.eml", "m/.hidden.eml", "m/nothing.eml", "x"]:
        response = httpx.get(mailbox.web_url + path, timeout=10)
        assert response.status_code == 404, path
        assert "not yours" not in response.text


def test_a_busy_web_port_leaves_the_smtp_server_running(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        with DevMail(tmp_path / "mail", port=free_port(), web_port=busy) as running:
            assert running.web_url is None
            send(running.port, "Still captured")
            assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_the_mail_command_serves_the_page_on_the_port_it_is_given(tmp_path: Path):
    smtp_port, web_port = free_port(), free_port()
    child = processes.spawn(
        [
            sys.executable,
            "-m",
            "halsosupport.cli",
            "mail",
            "--port",
            str(smtp_port),
            "--directory",
            str(tmp_path / "mail"),
            "--web-port",
            str(web_port),
        ],
        log_path=tmp_path / "mail.log",
    )
    try:
        url = f"http://127.0.0.1:{web_port}/"
        eventually(lambda: processes.port_in_use(web_port) and processes.port_in_use(smtp_port))
        send(smtp_port, "Via the command")
        assert "Via the command" in eventually(lambda: httpx.get(url, timeout=5).text)
    finally:
        processes.stop(child)


def test_refusing_for_a_while_answers_421_then_accepts_again(tmp_path: Path):
    """`--refuse-for`: a mail server that is temporarily unavailable, as the notifier meets it.
    The notifier's mailer takes the 421 for "try again later", never for a refusal for good."""
    from services.notifier.adapters.smtp_mailer import SmtpMailer, TransientSendError
    from services.notifier.settings import NotifierSettings

    with DevMail(tmp_path / "mail", port=free_port(), web_port=None, refuse_for_s=1.5) as running:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            send(running.port, "Too early")
        assert refused.value.smtp_code == 421
        mailer = SmtpMailer(NotifierSettings(smtp_port=running.port))
        with pytest.raises(TransientSendError, match="421"):
            mailer.send(
                to="chefa@kommun.example", subject="s", body="b", html=None, message_id="<a@b>"
            )
        assert list(running.directory.glob("*.eml")) == []
        assert running.handler.refused == 2
        time.sleep(1.6)
        send(running.port, "After the outage")
        assert len(list(running.directory.glob("*.eml"))) == 1
