"""Settings of the intake service (environment, prefix HALSOSUPPORT_)."""

from pydantic import SecretStr

from halsosupport.settings import CommonSettings

DEFAULT_REASON_CATEGORIES = (
    "respiratory_infection",
    "gastrointestinal",
    "musculoskeletal",
    "mental_ill_health",
    "covid_19",
    "injury",
    "other",
)


class IntakeSettings(CommonSettings):
    intake_host: str = "127.0.0.1"
    intake_port: int = 8000
    # How far back a sick report may be dated (the line's rule: a week).
    backdating_limit_days: int = 7
    reason_categories: tuple[str, ...] = DEFAULT_REASON_CATEGORIES
    # The relay wakes at once after a report; this is the fallback poll for rows written by
    # other processes (the directory import, a second intake instance).
    outbox_poll_interval_s: float = 0.5
    outbox_batch_size: int = 500

    # Twilio (SMS and the phone bot). Unset token: the webhooks answer 503 and do nothing.
    twilio_auth_token: SecretStr | None = None
    # The address Twilio calls, as Twilio sees it (behind a proxy it differs from ours):
    # every request's X-Twilio-Signature is checked against this URL.
    public_base_url: str = "http://127.0.0.1:8000"
    # The line's own number (said in replies) and where "0" on the phone bot connects.
    line_phone_number: str = "+46101234567"
    nurse_phone_number: str = "+46101234500"
