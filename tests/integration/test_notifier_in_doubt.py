"""A notifier that dies after the SMTP server accepted a mail but before it recorded that, sends
the mail again on its next round: SMTP cannot tell it whether the first one went. The resend
carries the same Message-ID and is marked in doubt; the capture server keeps one copy and lists
the repeat."""

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest

from halsosupport.devmail import REPEATS, DevMail
from halsosupport.processes import free_port
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported
from services.notifier import domain, handlers
from services.notifier.adapters.tables import Person
from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings
from tests.support import FixedClock

NOW = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)


class Killed(BaseException):
    """What SIGKILL does to the sender, as far as the database can tell: nothing more runs."""


@dataclasses.dataclass
class DiesAfterAcceptance:
    mailer: object

    def send(self, **mail: object) -> None:
        self.mailer.send(**mail)  # type: ignore[attr-defined]
        raise Killed  # accepted by the server; the bookkeeping never happens


@pytest.fixture
def mail(tmp_path):
    with DevMail(tmp_path / "mail", port=free_port(), web_port=None) as running:
        yield running


def test_a_mail_in_doubt_after_a_crash_is_sent_again_with_its_message_id_and_kept_once(
    database, mail
):
    settings = NotifierSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        smtp_port=mail.port,
    )
    rt = bootstrap(settings, clock=FixedClock(NOW))
    report = SickReported(
        event_id=uuid.uuid4(),
        occurred_at=NOW,
        source=Source(channel=Channel.NURSE, registered_by="nurse-1"),
        employee_id="e-anna",
        org=OrgRef(workplace_id="w-1", department_id="d-1", manager_id="m-maja"),
        spell_id="s-1",
        absence_type="sick",
        sick_from=date(2026, 11, 22),
        degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD,
    )
    with rt.uow() as uow:
        uow.upsert_person(Person(person_id="e-anna", name="Anna Andersson"))
        uow.upsert_person(Person(person_id="m-maja", name="Maja Chef", email="maja@example.org"))
        planned = domain.plan_sick_reported(report, domain.Routing(manager_id="m-maja"))
        assert uow.add_planned(planned, at=NOW) == 1
        uow.commit()

    def send_due(channels: handlers.Channels) -> int:
        return handlers.send_due(uow_factory=rt.uow, channels=channels, clock=rt.clock,
                                 settings=settings)  # fmt: skip

    dying = dataclasses.replace(rt.channels, mailer=DiesAfterAcceptance(rt.channels.mailer))
    with pytest.raises(Killed):
        send_due(dying)
    with rt.uow() as uow:
        (message,) = uow.due(NOW, 10)  # still pending: the notifier does not know it went
        assert message.sending_at is not None and not message.in_doubt
    assert send_due(rt.channels) == 1  # the next round (after a restart) sends it again
    with rt.uow() as uow:
        message = uow.message(message.id)
        assert message.status == "sent" and message.in_doubt and message.sending_at is None
        assert uow.count_in_doubt() == 1
    rt.engine.dispose()

    stored = list((mail.directory).glob("*.eml"))
    assert len(stored) == 1  # the capture server dropped the repeat of a stored Message-ID
    message_id = handlers.message_id_of(message.dedupe_key)
    assert f"Message-ID: {message_id}" in stored[0].read_text()
    (repeat,) = (mail.directory / REPEATS).read_text().splitlines()
    assert repeat.endswith(f" {message_id}")
