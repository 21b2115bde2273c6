"""Settings of the cases service (environment, prefix HALSOSUPPORT_)."""

from pydantic import Field

from halsosupport.settings import CommonSettings


class CasesSettings(CommonSettings):
    cases_host: str = "127.0.0.1"
    cases_port: int = 8004
    cases_group_id: str = "halsosupport-cases"
    # Rules whose triggers open no case although they name a manager or HR: a missing well
    # report is a data chase, not support.
    cases_ignored_rules: list[str] = ["well_report_missing_manager"]
    # ActionDue goes this many days before an activity's, follow-up's or talk's date.
    cases_reminder_lead_days: int = Field(default=3, ge=0, le=60)
    # How often the reminders are looked for (they go once each, whenever found).
    cases_reminder_interval_s: float = Field(default=300.0, gt=0)
    cases_outbox_poll_interval_s: float = 0.5
