"""The crisis dashboard and the manager's page in headless Chromium against a real stats service
fed through the broker: every figure on the page must be the API's, a withheld one must read
"<5", and a manager must see their own staff and no one else's."""

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from halsosupport.auth import Role, issue_token
from services.stats.bootstrap import bootstrap
from services.stats.entrypoints.api import create_app
from services.stats.settings import StatsSettings
from tests.browser.conftest import SCREENSHOTS, _serve, swedish_tab
from tests.browser.conftest_stats import NOW, TODAY, Town, build_town
from tests.support import FixedClock, eventually, publish, random_id

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

SUPPRESSED = ("<5", "färre än 5 eller för liten grupp")
TREND_DAYS = 60
COLUMNS = (
    "headcount",
    "new_sick",
    "new_vab",
    "back",
    "absent_sick",
    "absent_vab",
    "absent",
    "absent_per_100",
)
HEADLINE = ("new_sick", "new_vab", "back", "absent", "absent_per_100")


@dataclass
class Stats:
    """The running stats service as the browser reaches it."""

    base_url: str
    settings: StatsSettings
    clock: FixedClock

    def token(self, role: Role, subject: str = "crisis-browser") -> str:
        """Signed now, by the wall clock: the service checks tokens against that, not the
        fixed clock the figures are counted by."""
        return issue_token(self.settings, subject=subject, role=role)

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def stats(database, kafka_bootstrap) -> Iterator[Stats]:
    """The stats app over TCP, its consumer reading only what is published from now on."""
    settings = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-browser"),
    )
    clock = FixedClock(NOW)
    runtime = bootstrap(settings, clock=clock)
    server, thread, port = _serve(create_app(settings, runtime))
    try:
        running = Stats(f"http://127.0.0.1:{port}", settings, clock)
        with httpx.Client(base_url=running.base_url) as client:
            eventually(lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"])
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def town(stats: Stats, kafka_bootstrap: str) -> Town:
    """The seeded municipality, once the API shows all of it.

    The consumer counts what it applies, and every workplace has a manager whose list (names,
    no suppression) says who is away today; both must agree with what was published. The
    figures are not compared here: on the embedded broker a new group reading from `latest`
    also gets the tail of the last batch before it, so strays from earlier tests may share the
    municipality. The count starts once those have come in, and the pages are judged against
    the API, strays and all."""
    town = build_town(random_id("r").removeprefix("r-"))
    events = town.events()
    with httpx.Client(base_url=stats.base_url) as client:

        def applied() -> int:
            return int(client.get("/healthz").json()["consumer"]["applied"])

        before, now = -1, applied()
        while now != before:  # until the strays, if any, have been applied
            time.sleep(0.5)
            before, now = now, applied()
        publish(kafka_bootstrap, *events)
        eventually(lambda: applied() - before >= len(events), timeout_s=60, every_s=0.3)
    seen: dict[str, object] = {}
    tokens = {m: stats.token(Role.MANAGER, subject=m) for m in town.managers()}
    headcounts = Counter(workplace for _, workplace in town.staff.values())

    def arrived() -> bool:
        with stats.api(stats.token(Role.CRISIS)) as api:
            today = api.get("/v1/stats/today").raise_for_status().json()
        shown = {w["workplace_id"]: w["headcount"] for w in today["workplaces"]}
        seen["headcounts"] = {w: shown.get(w) for w in headcounts}
        ready = seen["headcounts"] == headcounts
        for manager, token in tokens.items():
            with stats.api(token) as api:
                team = api.get("/v1/manager/team").raise_for_status().json()
            away = {a["employee_id"] for a in team["away"]}
            triggers = {t["employee_id"] for t in team["open_triggers"]}
            seen[manager] = (
                len(away ^ town.away_today(manager)),
                triggers == town.triggered_for(manager),
            )
            ready = ready and seen[manager] == (0, True)
        return ready

    try:
        eventually(arrived, timeout_s=60, every_s=0.5)
    except AssertionError as error:
        raise AssertionError(f"the API never showed the seeded town: {seen}") from error
    return town


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    """A fresh tab in Swedish time whose clock shows the same moment as the server's."""
    with swedish_tab(browser, NOW, timeout_ms=15_000) as page:
        yield page


# ---- what a cell should read ------------------------------------------------------------------


def reads(value: int | float | None, field: str = "") -> tuple[str, str | None]:
    """The text of a cell and the title of its '<5' mark, as the page should show them."""
    if value is None:
        return SUPPRESSED
    if field == "absent_per_100" or isinstance(value, float):
        return f"{value:.1f}".replace(".", ","), None
    return str(value), None


# Collected in one round trip: a cell's visible text and the explanation of a withheld one.
COLLECT = """
() => {
  const cell = (node) => {
    const mark = node.querySelector("abbr.suppressed");
    return [node.textContent.trim(), mark ? mark.title : null];
  };
  const rows = (selector, key) =>
    Object.fromEntries(
      [...document.querySelectorAll(selector)].map((row) => [
        row.dataset[key],
        Object.fromEntries([...row.querySelectorAll("td[data-field]")].map(
          (td) => [td.dataset.field, cell(td)])),
      ]),
    );
  return {
    cards: Object.fromEntries(
      [...document.querySelectorAll("#figures [data-field]")].map((card) => [
        card.dataset.field,
        Object.fromEntries([...card.querySelectorAll("[data-period]")].map(
          (node) => [node.dataset.period, cell(node)])),
      ]),
    ),
    departments: rows("#units-body tr[data-department-id]", "departmentId"),
    workplaces: rows("#units-body tr[data-workplace-id]", "workplaceId"),
    municipality: rows("#units-foot tr[data-unit]", "unit").municipality,
    causes: rows("#causes-body tr[data-reason-category]", "reasonCategory"),
    trends: Object.fromEntries(
      [...document.querySelectorAll("#trends figure[data-department-id]")].map((fig) => [
        fig.dataset.departmentId,
        Object.fromEntries([...fig.querySelectorAll("tbody tr[data-date]")].map(
          (tr) => [tr.dataset.date, Object.fromEntries([...tr.querySelectorAll("td[data-field]")]
            .map((td) => [td.dataset.field, cell(td)]))])),
      ]),
    ),
  };
}
"""

# How much of each chart's canvas is painted: an empty canvas (the library failed, or drew
# before it had a size) has none.
PAINTED = """
() => [...document.querySelectorAll("#trends figure .chart")].map((chart) => {
  const canvas = chart.querySelector("canvas");
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return painted;
})
"""


def as_lists(found: dict[str, Any]) -> dict[str, Any]:
    """JSON from the page has lists where the expectation has tuples."""
    if isinstance(found, dict):
        return {k: as_lists(v) for k, v in found.items()}
    return tuple(found) if isinstance(found, list) else found


# ---- the crisis team --------------------------------------------------------------------------


def test_the_crisis_dashboard_shows_the_apis_figures_cell_by_cell_and_draws_the_trends(
    tab: Page, stats: Stats, town: Town
):
    token = stats.token(Role.CRISIS)
    first = (TODAY - timedelta(days=TREND_DAYS - 1)).isoformat()
    with stats.api(token) as api:
        today = api.get("/v1/stats/today").raise_for_status().json()
        municipality = (
            api.get("/v1/stats/daily", params={"from": first, "to": TODAY})
            .raise_for_status()
            .json()
        )
        answers = {
            d["department_id"]: api.get(
                "/v1/stats/daily",
                params={"from": first, "to": TODAY, "department_id": d["department_id"]},
            )
            for d in today["departments"]
        }
    # A stray department (see `town`) may be known from a workplace alone; the API refuses its
    # trend, and the page must then say so for that one and draw the others.
    daily = {d: r.json() for d, r in answers.items() if r.status_code == 200}
    refused = {d: r for d, r in answers.items() if r.status_code != 200}
    assert set(town.departments) <= set(daily)
    assert all(r.status_code == 404 for r in refused.values()), refused

    tab.goto(f"{stats.base_url}/dashboard#token={token}")
    expect(tab).to_have_url(f"{stats.base_url}/dashboard")  # the token left the address bar
    expect(tab.locator("#workspace")).not_to_have_attribute("aria-busy", "true")
    expect(tab.locator("#trends figure")).to_have_count(len(today["departments"]))
    expect(tab.locator("#trends figure .chart canvas")).to_have_count(len(daily))
    expect(tab.get_by_label("Dag", exact=True)).to_have_value(TODAY.isoformat())
    expect(tab.locator("#overview-date")).to_contain_text("Måndag 23 november 2026")
    shown = as_lists(tab.evaluate(COLLECT))

    assert shown["cards"] == {
        field: {
            "today": reads(today["municipality"][field], field),
            "yesterday": reads(today["yesterday"][field], field),
            "last_week": reads(today["last_week"][field], field),
        }
        for field in HEADLINE
    }
    assert shown["departments"] == {
        d["department_id"]: {f: reads(d[f], f) for f in COLUMNS} for d in today["departments"]
    }
    assert shown["workplaces"] == {
        w["workplace_id"]: {f: reads(w[f], f) for f in COLUMNS} for w in today["workplaces"]
    }
    assert shown["municipality"] == {f: reads(today["municipality"][f], f) for f in COLUMNS}
    assert shown["causes"] == {
        c["reason_category"]: {"absent_sick": reads(c["absent_sick"])} for c in today["causes"]
    }
    whole = {d["date"]: d["absent_per_100"] for d in municipality["days"]}
    assert shown["trends"] == {
        **{department_id: {} for department_id in refused},
        **{
            department_id: {
                d["date"]: {
                    "absent_per_100": reads(d["absent_per_100"], "absent_per_100"),
                    "municipality": reads(whole[d["date"]], "absent_per_100"),
                }
                for d in answer["days"]
            }
            for department_id, answer in daily.items()
        },
    }
    for department_id in refused:
        figure = tab.locator(f'#trends figure[data-department-id="{department_id}"]')
        expect(figure).to_contain_text("Trenden kunde inte hämtas.")
        expect(tab.locator("#trend-message")).to_contain_text("hittades inte")
    # The scenario has both kinds of cell, so the comparison above tested both.
    night_id = next(w for w, (name, _, _) in town.workplaces.items() if name == "Nattpatrullen")
    night = next(w for w in today["workplaces"] if w["workplace_id"] == night_id)
    assert night["headcount"] == 4 and night["absent"] is None
    cells = [c for row in shown["workplaces"].values() for c in row.values()]
    assert SUPPRESSED in cells and any(c[1] is None and c[0] != "0" for c in cells)
    night_absent = tab.locator(f'tr[data-workplace-id="{night["workplace_id"]}"] abbr').first
    expect(night_absent).to_have_attribute("title", SUPPRESSED[1])

    painted = tab.evaluate(PAINTED)
    assert len(painted) == len(daily) and all(p > 2_000 for p in painted), painted

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / "crisis-dashboard.png", full_page=True)

    # From the keyboard: the figures of another day, and a chart's numbers as a table.
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    with stats.api(token) as api:
        then = api.get("/v1/stats/today", params={"date": yesterday}).raise_for_status().json()
    day_field = tab.get_by_label("Dag", exact=True)
    day_field.fill(yesterday)
    day_field.press("Enter")
    absent_card = tab.locator('#figures [data-field="absent"] [data-period="today"]')
    expect(absent_card).to_have_text(reads(then["municipality"]["absent"])[0])
    expect(tab.locator("#overview-date")).to_contain_text("Söndag 22 november 2026")
    expect(tab.locator('#figures [data-field="absent"] dt').first).to_have_text("Dagen före")
    expect(tab.locator("#workspace")).not_to_have_attribute("aria-busy", "true")
    care = next(d for d, name in town.departments.items() if name == "Vård och omsorg")
    numbers = tab.locator(f'#trends figure[data-department-id="{care}"] details')
    expect(numbers.locator("tbody tr").first).to_have_attribute("data-date", yesterday)
    numbers.get_by_text("Visa siffrorna för Vård och omsorg").focus()
    tab.keyboard.press("Enter")
    expect(numbers).to_have_attribute("open", "")


# ---- the manager ------------------------------------------------------------------------------


def test_a_manager_sees_their_own_staff_who_is_away_and_the_follow_ups_due(
    tab: Page, stats: Stats, town: Town
):
    token = stats.token(Role.MANAGER, subject=town.manager_id)
    with stats.api(token) as api:
        team = api.get("/v1/manager/team").raise_for_status().json()
    mine = {e for e, (_, workplace) in town.staff.items() if workplace in town.managed()}
    # The API's side of the bargain, so the page's can be judged: only the manager's own staff.
    assert {w["workplace_id"] for w in team["workplaces"]} == town.managed()
    assert {a["employee_id"] for a in team["away"]} == {
        s.employee_id for s in town.spells if s.employee_id in mine and s.away_on(TODAY)
    }
    assert {t["employee_id"] for t in team["open_triggers"]} <= mine
    assert len(team["open_triggers"]) == 2

    tab.goto(f"{stats.base_url}/dashboard/manager#token={token}")
    expect(tab).to_have_url(f"{stats.base_url}/dashboard/manager")
    expect(tab.locator("#away-body tr")).to_have_count(len(team["away"]))
    expect(tab.locator("#triggers-body tr")).to_have_count(len(team["open_triggers"]))

    expect(tab.locator("#units .unit-name")).to_have_text([w["name"] for w in team["workplaces"]])
    unit_names = {w["workplace_id"]: w["name"] for w in team["workplaces"]}
    for person in team["away"]:
        row = tab.locator(f'#away-body tr[data-employee-id="{person["employee_id"]}"]')
        expect(row.locator('[data-field="name"]')).to_have_text(person["name"])
        expect(row.locator('[data-field="workplace"]')).to_have_text(
            unit_names[person["workplace_id"]]
        )
        expect(row.locator('[data-field="absence_type"]')).to_have_text(
            {"sick": "Sjuk", "vab": "VAB"}[person["absence_type"]]
        )
        day = (TODAY - date.fromisoformat(person["sick_from"])).days + 1
        expect(row.locator('[data-field="sick_from"]')).to_have_text(
            f"{person['sick_from']} (dag {day})"
        )
        expect(row.locator('[data-field="degree_percent"]')).to_have_text(
            f"{person['degree_percent']} %"
        )
        returning = row.locator('[data-field="expected_return"]')
        expected = person["expected_return"]
        if expected is None:
            expect(returning).to_have_text("–")
        elif expected < TODAY.isoformat():
            expect(returning).to_have_text(f"{expected} passerad, friskanmälan saknas")
            expect(returning).to_have_class(re.compile("overdue"))
            color = returning.evaluate("td => getComputedStyle(td).color")
            assert color == "rgb(164, 22, 26)", color  # --error
        else:
            expect(returning).to_have_text(expected)
            expect(returning).not_to_have_class(re.compile("overdue"))
    assert tab.locator("#away-body td.overdue").count() == 1  # the one written out to be late

    for trigger in team["open_triggers"]:
        row = tab.locator(
            f'#triggers-body tr[data-employee-id="{trigger["employee_id"]}"]'
            f'[data-rule-id="{trigger["rule_id"]}"]'
        )
        expect(row.locator('[data-field="name"]')).to_have_text(trigger["name"])
        expect(row.locator('[data-field="fired_on"]')).to_have_text(trigger["fired_on"])
        late = trigger["due_on"] < TODAY.isoformat()
        expect(row.locator('[data-field="due_on"]')).to_have_text(
            f"{trigger['due_on']} försenad" if late else trigger["due_on"]
        )
    trepart = tab.locator('#triggers-body tr[data-rule-id="trepartssamtal"] [data-field="rule"]')
    expect(trepart).to_have_text("Trepartssamtal ska hållas")

    # Only the manager's own staff: no one else's name anywhere on the page.
    text = tab.locator("body").inner_text()
    others = {name for e, (name, _) in town.staff.items() if e not in mine}
    assert not [name for name in others if name in text]
    assert all(town.staff[e][0] not in text for e in town.stranger_ids)
    for reason in ("musculoskeletal", "Besvär i rörelseorganen"):
        assert reason not in text  # the overdue spell's reason was shared, but not here

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=SCREENSHOTS / "manager-page.png", full_page=True)

    # Keyboard: the skip link leads to the list of who is away.
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Hoppa till vilka som är borta")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"#away-heading$"))


# ---- refusals ---------------------------------------------------------------------------------


def test_refused_tokens_read_plainly_and_leave_no_figures(tab: Page, stats: Stats):
    message = tab.locator("#global-message")

    nurse = stats.token(Role.NURSE, subject="nurse-1")
    tab.goto(f"{stats.base_url}/dashboard#token={nurse}")
    expect(message).to_have_text(
        re.compile(r"^Kunde inte hämta lägesbilden: din inloggning har inte behörighet .*nurse")
    )
    expect(message).to_have_class(re.compile("error"))
    expect(message).to_have_attribute("aria-live", "polite")
    expect(tab.get_by_label("Inloggningsnyckel (token)")).to_be_focused()
    expect(tab.locator("#workspace")).to_be_hidden()
    assert tab.evaluate("sessionStorage.length") == 0  # the refused token is forgotten

    # A token pasted into the form is tried too; a crisis token is not a manager's.
    tab.goto(f"{stats.base_url}/dashboard/manager")
    tab.get_by_label("Inloggningsnyckel (token)").fill(stats.token(Role.CRISIS))
    tab.keyboard.press("Enter")
    expect(message).to_have_text(re.compile(r"^Kunde inte hämta dina enheter: din inloggning"))

    tab.get_by_label("Inloggningsnyckel (token)").fill("not-a-token")
    tab.keyboard.press("Enter")
    expect(message).to_have_text(
        re.compile(r"^Kunde inte hämta dina enheter: inloggningen saknas eller gäller inte")
    )
    expect(tab.locator("#away-body tr")).to_have_count(0)


def test_the_pages_files_are_served_with_their_types_and_nothing_else_is(stats: Stats):
    with httpx.Client(base_url=stats.base_url) as client:
        for path, kind in [
            ("/dashboard", "text/html"),
            ("/dashboard/manager", "text/html"),
            ("/dashboard/dashboard.js", "text/javascript"),
            ("/dashboard/vendor/uPlot.iife.min.js", "text/javascript"),
            ("/dashboard/vendor/uPlot.min.css", "text/css"),
            ("/static/common/base.js", "text/javascript"),
            ("/static/common/base.css", "text/css"),
        ]:
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith(kind), path
            assert "default-src 'self'" in response.headers["content-security-policy"]
        assert client.get("/dashboard/").headers["location"] == "../dashboard"
        for path in [
            "/dashboard/index.html",
            "/dashboard/vendor/LICENSE-uPlot",
            "/dashboard/x",
            "/static/common/__init__.py",
        ]:
            assert client.get(path).status_code == 404, path
        schema = client.get("/openapi.json").text
        assert "/dashboard" not in schema and "/static" not in schema
