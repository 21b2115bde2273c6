"""Stats sets the conversations held and the cases closed beside the triggers fired, per
department and month, from halsosupport.cases.v1: a trigger goes through the cases service
(documented through its API) and the figure follows."""

import uuid

from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.envelope import Channel, OrgRef, Source
from services.stats.bootstrap import bootstrap as stats_bootstrap
from services.stats.entrypoints.api import create_app as stats_app
from services.stats.settings import StatsSettings
from tests.integration.test_cases_flow import FORM, NOW, cases  # noqa: F401
from tests.support import FixedClock, eventually, publish, random_id


def test_conversations_held_and_cases_closed_stand_beside_the_triggers(
    cases,  # noqa: F811
    database,
    kafka_bootstrap,
):
    settings = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-cases"),
        min_group_size=1,  # one employee in this department: nothing withheld here
        min_cell_count=1,
    )
    with TestClient(stats_app(settings, stats_bootstrap(settings, clock=FixedClock(NOW)))) as st:
        eventually(lambda: st.get("/healthz").json()["consumer"]["assigned_partitions"])
        at = {"occurred_at": NOW, "source": Source(channel=Channel.IMPORT)}
        publish(
            kafka_bootstrap,
            DepartmentUpserted(
                event_id=uuid.uuid4(), department_id=cases.department, name="Välfärd", **at
            ),
            WorkplaceUpserted(
                event_id=uuid.uuid4(),
                workplace_id=cases.workplace,
                name="Solbacken",
                department_id=cases.department,
                **at,
            ),
            EmployeeUpserted(
                event_id=uuid.uuid4(),
                employee_id=cases.employee,
                org=OrgRef(workplace_id=cases.workplace, department_id=cases.department),
                name="Anna",
                **at,
            ),
        )
        fired, held_case = cases.open_case()
        _, open_case = cases.open_case()  # fired, never held
        url = f"/v1/cases/{held_case['case_id']}"
        assert cases.client.post(f"{url}/conversations", json=FORM, headers=cases.as_manager)
        closed = cases.client.post(
            f"{url}/close", json={"outcome": "back_in_ordinary_work"}, headers=cases.as_manager
        )
        assert closed.status_code == 200, closed.text
        token = issue_token(settings, subject="c", role=Role.CRISIS)

        def row() -> dict | None:
            rows = st.get("/v1/stats/follow-up", headers={"Authorization": f"Bearer {token}"})
            assert rows.status_code == 200, rows.text
            mine = [r for r in rows.json() if r["department_id"] == cases.department]
            if mine and mine[0]["fired"] == 2 and mine[0]["plans_closed"] == 1:
                return mine[0]
            return None

        found = eventually(row, timeout_s=30)
        assert found == {
            "month": fired.window_end.strftime("%Y-%m"),
            "department_id": cases.department,
            "rule_id": "omtankesamtal",
            "fired": 2,
            "handled": None,  # 0: below the (lowered) smallest count shown
            "conversations_held": 1,
            "plans_closed": 1,
        }
        assert open_case["status"] == "open"
