"""The locust users of bench/intake_load.py: nurses registering sick reports, each followed by
the well report that lets the employee fall ill again. Not run on its own: intake_load.py
starts locust with this file and the environment below.

BENCH_TOKEN: a nurse's bearer token; BENCH_EMPLOYEES_FILE: a JSON list of employee ids.
Each user takes every n-th employee, so no two users ever report the same person, and walks
the days of the backdating limit, oldest first: sick on a day, well the next.
"""

import itertools
import json
import os
from datetime import date, timedelta
from typing import Any

from locust import HttpUser, task

_USERS = itertools.count()
BACKDATING_DAYS = 7  # the intake's default limit


class Nurse(HttpUser):
    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {os.environ['BENCH_TOKEN']}"
        employees = json.loads(open(os.environ["BENCH_EMPLOYEES_FILE"]).read())
        me, users = next(_USERS), int(os.environ["BENCH_USERS"])
        mine = employees[me::users]
        today = date.today()
        self.work = iter(
            [
                (employee, today - timedelta(days=BACKDATING_DAYS - day))
                for day in range(BACKDATING_DAYS + 1)
                for employee in mine
            ]
        )

    @task
    def sick_then_well(self) -> None:
        employee, sick_from = next(self.work, (None, None))
        if employee is None or sick_from is None:
            self.stop()  # every employee of this user has used the whole week
            return
        sick: dict[str, Any] = {"employee_id": employee, "sick_from": str(sick_from)}
        self.client.post("/v1/reports/sick", json=sick)
        well = {"employee_id": employee, "well_from": str(sick_from + timedelta(days=1))}
        self.client.post("/v1/reports/well", json=well)
