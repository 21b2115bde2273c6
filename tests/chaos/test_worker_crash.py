"""Workers killed with SIGKILL while reports flow, then started again: the triggers worker (its
table recovered from the changelog, its uncommitted reports read again) and the notifier (its
uncommitted events recorded again, its pending mails sent). Every effect still happens once."""

import time

import httpx
import pytest

from tests.chaos.conftest import SMALL

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]

DOWN_FOR = 3  # reports taken while a killed worker is down


@pytest.mark.timeout(900)
def test_workers_killed_mid_batch_and_restarted_repeat_nothing_and_lose_nothing(chaos):
    staff = chaos.staff()[: 3 if SMALL else 12]
    rounds = 1 if SMALL else 3  # kills of each worker
    reports = 2 * 4 * len(staff)
    # Each worker is killed right after a report was taken, without waiting for anything to
    # settle: it is then in the middle of consuming, deciding or sending.
    step = reports // (2 * rounds + 1)
    plan = {}
    for k in range(rounds):
        plan[step * (2 * k + 1)] = "triggers"
        plan[step * (2 * k + 2)] = "notifier"
    started = time.monotonic()
    down: dict[str, int] = {}
    for n, _ in enumerate(chaos.occasions(staff, 4), start=1):
        if n in plan:
            chaos.kill(plan[n])
            down[plan[n]] = n
        for name, since in list(down.items()):
            if n - since >= DOWN_FOR:
                chaos.restart(name)
                del down[name]
    for name in down:
        chaos.restart(name)
    chaos.assert_exactly_once()
    notifier = httpx.get(f"http://127.0.0.1:{chaos.ports.notifier}/healthz").json()
    triggers = httpx.get(f"http://127.0.0.1:{chaos.ports.triggers}/healthz").json()
    print(  # noqa: T201
        f"worker crash scenario: {reports} reports, {rounds} kill(s) of each worker, "
        f"{notifier['sent_again_in_doubt']} mail(s) sent again in doubt, "
        f"{triggers['stalls_noticed']} stalled triggers worker(s) started again, "
        f"{time.monotonic() - started:.0f} s"
    )
