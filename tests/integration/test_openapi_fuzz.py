"""Every HTTP service's OpenAPI, fuzzed with schemathesis against the running app (real broker,
real database): no answer is a 5xx, and every answer matches the schema the service publishes.

Each operation gets `HALSOSUPPORT_FUZZ_EXAMPLES` generated requests (default 20; derandomized, so
a run is repeatable), sent with the token of a role allowed there (see `ROLE_OF`). All failures
are collected and reported together, each with the request that caused it.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from halsosupport.auth import Role, issue_token
from halsosupport.consumer import Consumed
from schemas.envelope import OrgRef
from services.cases import handlers as cases_handlers
from services.cases.bootstrap import bootstrap as cases_bootstrap
from services.cases.entrypoints.api import create_app as cases_app
from services.cases.settings import CasesSettings
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.entrypoints.api import create_app as notifier_app
from services.notifier.settings import NotifierSettings
from services.stats.bootstrap import bootstrap as stats_bootstrap
from services.stats.entrypoints.api import create_app as stats_app
from services.stats.settings import StatsSettings
from tests.integration.conftest import NOW, start_intake
from tests.support import FixedClock, omtankesamtal_fired, random_id

EXAMPLES = int(os.environ.get("HALSOSUPPORT_FUZZ_EXAMPLES", "20"))

# (service, path fragment) -> the role whose token the fuzzer sends; the first match wins.
ROLE_OF: list[tuple[str, str, Role]] = [
    ("intake", "/exemptions", Role.HR),
    ("intake", "/v1/directory", Role.ADMIN),
    ("intake", "", Role.NURSE),
    ("notifier", "", Role.ADMIN),
    ("stats", "/v1/manager", Role.MANAGER),
    ("stats", "", Role.CRISIS),
    ("cases", "", Role.MANAGER),  # the manager of the case made below
]


@dataclass
class Running:
    service: str
    client: TestClient
    token: Callable[[Role], str]
    # Real ids to put in place of generated ones now and then, so the fuzzer gets past 404s.
    known: dict[str, list[str]] = field(default_factory=dict)


def _role(service: str, path: str) -> Role:
    return next(role for s, part, role in ROLE_OF if s == service and part in path)


def fuzz(running: Running) -> list[str]:
    """Run every operation of the app's OpenAPI; return what failed, one line each."""
    schema = schemathesis.openapi.from_dict(running.client.get("/openapi.json").json())
    failures: list[str] = []
    for result in schema.get_all_operations():
        _fuzz_operation(running, result.ok(), failures)
    return failures


def _fuzz_operation(running: Running, operation, failures: list[str]) -> None:
    token = running.token(_role(running.service, operation.path))
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), use_known=st.booleans(), pick=st.integers(0, 99))
    def run(case: schemathesis.Case, use_known: bool, pick: int) -> None:
        if use_known:
            _use_known_ids(case, running.known, pick)
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        kwargs.pop("url", None)
        if not kwargs.get("cookies"):
            kwargs.pop("cookies", None)
        try:
            response = running.client.request(url=case.formatted_path, **kwargs)
        except Exception as error:  # the test client re-raises what the app did not handle
            failures.append(
                f"{operation.method.upper()} {operation.path}: 500 {type(error).__name__}: "
                f"{str(error)[:300]} <- {case.as_curl_command()[:300]}"
            )
            return
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except (AssertionError, BaseExceptionGroup) as error:  # collected: one run lists all
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            failure = f"{operation.method.upper()} {operation.path}: {response.status_code} "
            if not any(f.startswith(failure) for f in failures):
                failures.append(
                    failure + " / ".join(lines[:4])[:400] + f" <- {case.as_curl_command()[:300]}"
                )

    run()


def _use_known_ids(case: schemathesis.Case, known: dict[str, list[str]], pick: int) -> None:
    for name, values in known.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = values[pick % len(values)]
        if isinstance(case.body, dict) and name in case.body:
            case.body[name] = values[pick % len(values)]


@contextmanager
def _intake(database, kafka_bootstrap) -> Iterator[Running]:
    with start_intake(database, kafka_bootstrap) as intake:
        names = sorted(intake.employees)
        spells = [intake.sick(name).json()["spell_id"] for name in names[:2]]
        yield Running(
            "intake",
            intake.client,
            lambda role: issue_token(intake.settings, subject="fuzz", role=role),
            {"employee_id": [intake.employees[n] for n in names], "spell_id": spells},
        )


@contextmanager
def _notifier(database, kafka_bootstrap) -> Iterator[Running]:
    config = NotifierSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        notifier_group_id=random_id("notifier-fuzz"),
        twilio_auth_token="twilio-test-auth-token",
    )
    app = notifier_app(config, notifier_bootstrap(config, clock=FixedClock(NOW)))
    with TestClient(app) as client:
        yield Running(
            "notifier", client, lambda role: issue_token(config, subject="fuzz", role=role)
        )


@contextmanager
def _stats(database, kafka_bootstrap) -> Iterator[Running]:
    config = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-fuzz"),
    )
    app = stats_app(config, stats_bootstrap(config, clock=FixedClock(NOW)))
    with TestClient(app) as client:
        yield Running("stats", client, lambda role: issue_token(config, subject="fuzz", role=role))


@contextmanager
def _cases(database, kafka_bootstrap) -> Iterator[Running]:
    config = CasesSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        cases_group_id=random_id("cases-fuzz"),
    )
    runtime = cases_bootstrap(config, clock=FixedClock(NOW))
    fired = omtankesamtal_fired(
        "e-fuzz", OrgRef(workplace_id="w-fuzz", department_id="d-fuzz", manager_id="fuzz"), NOW
    )
    with runtime.uow() as uow:
        batch = [Consumed("t", 0, 0, fired)]
        cases_handlers.apply_batch(uow=uow, batch=batch, now=NOW, ignored_rules=[])
    with runtime.uow() as uow:
        case = uow.case_of_trigger(fired.trigger_id)
    assert case is not None
    with TestClient(cases_app(config, runtime)) as client:
        yield Running(
            "cases",
            client,
            lambda role: issue_token(config, subject="fuzz", role=role),
            {"case_id": [case.case_id]},
        )


SERVICES = [_intake, _notifier, _stats, _cases]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__[1:])
def test_openapi_answers_without_5xx_and_as_documented(service, database, kafka_bootstrap):
    with service(database, kafka_bootstrap) as running:
        failures = fuzz(running)
    assert failures == [], "\n".join(failures)


def test_nul_characters_are_refused_not_a_500(intake):
    """Found by the fuzzer: PostgreSQL cannot store NUL, so a text holding one was a 500."""
    spell_id = intake.sick("Anna Andersson").json()["spell_id"]
    answer = intake.client.post(
        f"/v1/spells/{spell_id}/followup", json={"outcome": "ok\x00"}, headers=intake.headers
    )
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"]
    answer = intake.client.get("/v1/employees/a%00b/spells", headers=intake.headers)
    assert answer.status_code == 422 and "NUL" in answer.json()["detail"]
    answer = intake.client.get("/v1/employees?q=%00", headers=intake.headers)
    assert answer.status_code == 422
