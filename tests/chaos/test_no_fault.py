"""The yardstick: with nothing broken, every effect happens exactly once."""

import pytest

from tests.chaos.conftest import SMALL

pytestmark = [pytest.mark.e2e, pytest.mark.chaos]


@pytest.mark.timeout(600)
def test_without_faults_every_report_reaches_stats_and_every_mail_is_sent_once(chaos):
    staff = chaos.staff()[: 3 if SMALL else 12]
    for _ in chaos.occasions(staff, 4):
        pass
    chaos.assert_exactly_once()
