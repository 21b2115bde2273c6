"""Settings of the triggers service (environment, prefix HALSOSUPPORT_)."""

from pathlib import Path

from halsosupport.settings import CommonSettings
from services.triggers.policy import DEFAULT_POLICY


class TriggersSettings(CommonSettings):
    triggers_host: str = "127.0.0.1"
    triggers_port: int = 8003
    policy_file: Path = DEFAULT_POLICY
    # The faust application id names its consumer group and its internal topics.
    triggers_app_id: str = "halsosupport-triggers"
    triggers_data_dir: Path = Path("var/triggers")
    # How often the timer looks for rules that time alone brings due (day rules, Bradford).
    triggers_tick_interval_s: float = 60.0
    # A worker that starts at least this many reports behind (and whose group is idle) catches
    # up in bulk before it joins the group; 0: never.
    triggers_catch_up_from: int = 5000
    # Rehearsals and tests: act as if it were this many days later (0 in production).
    triggers_clock_offset_days: int = 0
