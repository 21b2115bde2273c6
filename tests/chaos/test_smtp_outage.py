"""The mail server away for two minutes (CHAOS_SMALL: about 12 s) while reports keep coming:
first down altogether (connection refused), then up but answering every sender `421` (service
not available, try again later) until it recovers. Afterwards every mail is delivered exactly
once and none was given up on.
"""

import time
from itertools import islice

import pytest

from halsosupport import processes
from halsosupport.supervisor import CLI
from tests.chaos.conftest import SMALL
from tests.chaos.harness import ChaosSystem, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

OUTAGE_S = 12.0 if SMALL else 120.0
DOWN_S = 3.0 if SMALL else 30.0  # the first part of it with no server at all


def start_mail(chaos: ChaosSystem, *, refuse_for_s: float) -> None:
    """Start the mail server again on its ports and folder, refusing for `refuse_for_s`."""
    assert chaos.system is not None
    args = [
        *CLI, "mail",
        "--port", str(chaos.ports.mail),
        "--directory", str(chaos.var_dir / "mail"),
        "--web-port", str(chaos.ports.mail_web),
        "--refuse-for", str(refuse_for_s),
    ]  # fmt: skip
    chaos.system.children["mail"] = processes.spawn(
        args, env=chaos.system.env, log_path=chaos.var_dir / "log" / "mail.log"
    )
    wait_for(lambda: processes.port_in_use(chaos.ports.mail), timeout_s=30, what="the mail server")


def mail_rows(chaos: ChaosSystem, status: str) -> list[tuple[str, int, str | None]]:
    return chaos.rows(
        "notifier",
        "select template, attempts, last_error from message "
        f"where channel = 'email' and status = '{status}'",
    )


@pytest.mark.timeout(900)
def test_a_mail_server_outage_delays_mail_and_loses_none(chaos):
    staff = chaos.staff_with_a_manager(3 if SMALL else 12)
    reports = chaos.occasions(staff, 4)
    total = 8 * len(staff)
    for _ in islice(reports, total // 4):
        pass
    wait_for(lambda: len(chaos.mails()) > 0, timeout_s=60, what="the first mail")

    chaos.kill("mail")
    began = time.monotonic()
    delivered_before = len(chaos.mails())
    during = total // 2
    restarted = False
    for _ in islice(reports, during):  # spread over the outage
        time.sleep(OUTAGE_S / during * 0.8)
        if not restarted and time.monotonic() - began >= DOWN_S:
            start_mail(chaos, refuse_for_s=OUTAGE_S - (time.monotonic() - began))
            restarted = True
    if not restarted:
        start_mail(chaos, refuse_for_s=OUTAGE_S - (time.monotonic() - began))

    # The notifier met the outage: a mail was refused and kept (pending, or sent on a later
    # attempt when a busy machine got to it only as the server recovered).
    wait_for(
        lambda: (
            [row for row in mail_rows(chaos, "pending") if row[1] > 0]
            or [row for row in mail_rows(chaos, "sent") if row[1] > 1]
        ),
        timeout_s=OUTAGE_S,
        what="the notifier to meet the outage",
    )
    assert mail_rows(chaos, "failed") == []
    if time.monotonic() - began < OUTAGE_S - 0.5:
        assert len(chaos.mails()) == delivered_before, "a mail got through a refusing server"
    wait_for(
        lambda: spells(chaos, "stats") == spells(chaos, "intake"),
        timeout_s=30,
        what="stats to keep up while mail is away",
    )
    time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - began)))
    assert "mail_refused" in (chaos.var_dir / "log" / "mail.log").read_text()

    for _ in reports:  # the rest after the recovery
        pass
    chaos.assert_exactly_once()
    assert mail_rows(chaos, "failed") == []
    assert max(attempts for _, attempts, _ in mail_rows(chaos, "sent")) > 1


def spells(chaos: ChaosSystem, service: str) -> int:
    return int(chaos.rows(service, "select count(*) from spell")[0][0])
