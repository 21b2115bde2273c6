"""When a message that could not go is tried again: a provider error counts an attempt and is
retried for a bounded time; a recipient or employee the directory does not know yet is waited
for without counting any, up to a bounded wait."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.notifier import domain

DUE = datetime(2026, 11, 22, 7, 0, tzinfo=UTC)
POLICY = domain.RetryPolicy(
    send_for=timedelta(hours=24), base_s=2.0, cap_s=300.0, directory_wait=timedelta(hours=24)
)
MANAGER = "the recipient (manager)"


def wait(now: datetime, *, attempts: int = 0, jitter: float = 1.0) -> domain.Deferral:
    return domain.while_directory_lags(
        attempts=attempts, missing=MANAGER, due_since=DUE, now=now, policy=POLICY, jitter=jitter
    )


def refused(now: datetime, *, attempts: int = 0, jitter: float = 1.0) -> domain.Deferral:
    return domain.after_send_error(
        attempts=attempts, error="451 later", due_since=DUE, now=now, policy=POLICY, jitter=jitter
    )


def test_provider_errors_count_attempts_with_a_doubling_wait_up_to_five_minutes():
    first, second, third = (refused(DUE, attempts=n) for n in range(3))
    assert (first.attempts, first.next_attempt_at) == (1, DUE + timedelta(seconds=2))
    assert (second.attempts, second.next_attempt_at) == (2, DUE + timedelta(seconds=4))
    assert (third.attempts, third.next_attempt_at) == (3, DUE + timedelta(seconds=8))
    assert refused(DUE, attempts=40).next_attempt_at == DUE + timedelta(minutes=5)
    assert refused(DUE, attempts=5000).next_attempt_at == DUE + timedelta(minutes=5)


@given(jitter=st.floats(min_value=0.5, max_value=1.0), outage_min=st.integers(1, 23 * 60))
def test_a_mail_server_away_for_hours_fails_no_message(jitter, outage_min):
    """The old rule failed a message at its 10th try: 7 to 14 minutes into an outage."""
    now, attempts = DUE, 0
    while now < DUE + timedelta(minutes=outage_min):
        deferral = refused(now, attempts=attempts, jitter=jitter)
        assert not deferral.failed and deferral.error == "451 later"
        assert deferral.next_attempt_at is not None
        now, attempts = deferral.next_attempt_at, deferral.attempts
    # tried again within five minutes of the server coming back
    assert now - (DUE + timedelta(minutes=outage_min)) <= timedelta(minutes=5)


def test_after_the_bounded_time_a_provider_error_fails_the_message():
    last_look = refused(DUE + timedelta(hours=23, minutes=58), attempts=300)
    assert last_look.next_attempt_at == DUE + timedelta(hours=24)  # at the bound, not past it
    failed = refused(DUE + timedelta(hours=24), attempts=301)
    assert failed.failed and failed.attempts == 302 and failed.error == "451 later"


def test_a_directory_that_lags_for_hours_spends_no_attempt_and_is_looked_at_again():
    """The old rule spent an attempt per look: three looks (seconds of lag) failed the message."""
    now, looks = DUE, 0
    while now < DUE + timedelta(hours=23):
        deferral = wait(now, attempts=1)
        assert not deferral.failed
        assert deferral.attempts == 1  # the one a provider error spent earlier, no more
        assert deferral.error == "waiting for the directory: the recipient (manager) not known yet"
        assert deferral.next_attempt_at is not None and deferral.next_attempt_at > now
        now, looks = deferral.next_attempt_at, looks + 1
    assert looks > 100
    # Soon at first, then every five minutes at the most.
    assert wait(DUE).next_attempt_at == DUE + timedelta(seconds=2)
    assert wait(DUE + timedelta(seconds=30)).next_attempt_at == DUE + timedelta(seconds=60)
    assert wait(DUE + timedelta(hours=5)).next_attempt_at == DUE + timedelta(hours=5, minutes=5)


def test_after_the_bounded_wait_the_message_fails_saying_who_was_missing():
    deferral = wait(DUE + timedelta(hours=24), attempts=0)
    assert deferral.failed and deferral.attempts == 0
    assert deferral.error == "not in the directory after 24 h: the recipient (manager)"
    # The last look before the bound is at the bound itself, not five minutes past it.
    assert wait(DUE + timedelta(hours=23, minutes=58)).next_attempt_at == DUE + timedelta(hours=24)


@given(
    waited=st.timedeltas(
        min_value=timedelta(0), max_value=timedelta(hours=24) - timedelta.resolution
    ),
    jitter=st.floats(min_value=0.5, max_value=1.0),
    attempts=st.integers(min_value=0, max_value=50),
)
def test_before_the_bound_a_wait_keeps_the_attempts_and_never_passes_the_bound(
    waited, jitter, attempts
):
    deferral = wait(DUE + waited, attempts=attempts, jitter=jitter)
    assert not deferral.failed and deferral.attempts == attempts
    assert DUE + waited < deferral.next_attempt_at <= DUE + POLICY.directory_wait


def test_a_digest_message_waits_from_its_digest_time_not_from_when_it_was_recorded():
    recorded = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 16:00 in Stockholm
    assert domain.due_since(recorded, False, "07:00") == recorded
    assert domain.due_since(recorded, True, "07:00") == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
