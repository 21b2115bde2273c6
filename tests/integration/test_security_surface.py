"""The browser-facing surface of every HTTP service: security headers on every page and answer,
and no cross-site form can change anything."""

import re

import pytest
from fastapi.routing import APIRoute

from halsosupport.auth import Role
from tests.integration.conftest import start_intake
from tests.integration.test_openapi_fuzz import SERVICES, _intake

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def _routes(routes, prefix: str = "") -> list[tuple[set[str], str]]:
    """(methods, path) of every route, through included routers."""
    found: list[tuple[set[str], str]] = []
    for route in routes:
        if hasattr(route, "original_router"):
            inner = prefix + (getattr(route.include_context, "prefix", "") or "")
            found += _routes(route.original_router.routes, inner)
        elif isinstance(route, APIRoute):
            found.append((set(route.methods), prefix + route.path))
    return found


def _check_headers(response, where: str) -> None:
    for header, value in EXPECTED.items():
        assert response.headers.get(header) == value, (where, header, response.headers)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp, where
    assert "object-src 'none'" in csp and "base-uri 'none'" in csp, where
    assert not re.search(r"https?:|\*|'unsafe-", csp), (where, csp)  # nothing external or inline
    assert "camera=()" in response.headers["Permissions-Policy"], where


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.__name__[1:])
def test_every_get_route_answers_with_the_security_headers(service, database, kafka_bootstrap):
    with service(database, kafka_bootstrap) as running:
        app = running.client.app
        paths = [path for methods, path in _routes(app.routes) if "GET" in methods]
        paths += ["/openapi.json", "/docs", "/no-such-page"]
        if running.service in ("intake", "stats", "cases"):  # the pages' shared static files
            paths.append("/static/common/base.css")
            assert {"/console", "/dashboard", "/cases"} & set(paths), paths  # the pages
        assert len(paths) > 5
        role = Role.NURSE if running.service == "intake" else Role.ADMIN
        headers = {"Authorization": f"Bearer {running.token(role)}"}
        for template in paths:
            path = re.sub(r"\{[^}]+\}", "x", template)
            for sent in (headers, {}):  # with a token, and without (401s carry them too)
                _check_headers(running.client.get(path, headers=sent), path)


def test_hsts_only_when_configured(database, kafka_bootstrap):
    with _intake(database, kafka_bootstrap) as running:
        assert "Strict-Transport-Security" not in running.client.get("/healthz").headers
    with start_intake(database, kafka_bootstrap, hsts_max_age_s=31536000) as intake:
        assert (
            intake.client.get("/healthz").headers["Strict-Transport-Security"]
            == "max-age=31536000; includeSubDomains"
        )


def test_a_cross_site_form_changes_nothing(intake):
    """The console sends a bearer token from the page, never a cookie, so a form on another site
    cannot carry the nurse's credentials: every state-changing route refuses it."""
    changing = [
        (method, path)
        for methods, path in _routes(intake.client.app.routes)
        for method in methods & {"POST", "PUT", "PATCH", "DELETE"}
    ]
    assert len(changing) >= 8
    employee_id = next(iter(intake.employees.values()))
    for method, template in changing:
        path = re.sub(r"\{[^}]+\}", employee_id, template)
        answer = intake.client.request(
            method,
            path,
            data={"employee_id": employee_id, "why": "csrf", "Body": "SJUK"},
            headers={"Origin": "https://evil.example", "Referer": "https://evil.example/x"},
        )
        # 401: no token; 403: a Twilio webhook without Twilio's signature; 415/422: not JSON.
        assert answer.status_code in (401, 403, 415, 422), (method, path, answer.text)
    spells = intake.client.get(f"/v1/employees/{employee_id}/spells", headers=intake.headers)
    assert spells.json() == []
