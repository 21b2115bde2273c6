"""Topic names and their broker-side configuration (DESIGN §3).

Partition counts are chosen for a municipality of up to ~50,000 employees; the scaling guide
in deploy/ says when to raise them. Retention of reports, triggers and cases is unlimited
because the triggers' 12-month windows and the stats read model are rebuilt by replaying them.
"""

from dataclasses import dataclass, field

REPORTS = "halsosupport.reports.v1"
TRIGGERS = "halsosupport.triggers.v1"
DIRECTORY = "halsosupport.directory.v1"
NOTIFICATIONS = "halsosupport.notifications.v1"
DEADLETTER = "halsosupport.deadletter.v1"
CASES = "halsosupport.cases.v1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)


THIRTY_DAYS_MS = str(30 * 24 * 3600 * 1000)

TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(REPORTS, 6, {"retention.ms": "-1", "cleanup.policy": "delete"}),
    TopicSpec(TRIGGERS, 6, {"retention.ms": "-1", "cleanup.policy": "delete"}),
    TopicSpec(DIRECTORY, 3, {"cleanup.policy": "compact"}),
    TopicSpec(NOTIFICATIONS, 3, {"retention.ms": THIRTY_DAYS_MS, "cleanup.policy": "delete"}),
    TopicSpec(DEADLETTER, 1, {"retention.ms": THIRTY_DAYS_MS, "cleanup.policy": "delete"}),
    # Case events are kept like the triggers: stats sets conversations held beside triggers fired.
    TopicSpec(CASES, 6, {"retention.ms": "-1", "cleanup.policy": "delete"}),
)
