"""The pilot's and SKR's figures over HTTP: repeated absence, absence by length, net days, SKR's
key figures and the cost evaluation, as JSON or as CSV (`format=csv`), small groups withheld.

Served by the stats process (`halsosupport stats`, port 8001): `create_app` includes `router`.
Try it: `curl -s -H "Authorization: Bearer $(halsosupport token --role crisis)"
'http://127.0.0.1:8001/v1/stats/net-days?from=2026-01&to=2026-06'`.
"""

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from halsosupport.localtime import local_date
from services.stats import figure_rows, figures, report_views
from services.stats.bootstrap import StatsRuntime
from services.stats.domain import Org
from services.stats.entrypoints.responses import NOTE, AggregateReader, csv_response
from services.stats.figures import ONE_DAY, EmployeeRow, SpellRow


def runtime_of(request: Request) -> StatsRuntime:
    runtime: StatsRuntime = request.app.state.runtime
    return runtime


Runtime = Annotated[StatsRuntime, Depends(runtime_of)]
Format = Literal["json", "csv"]
MONTH = "a month as YYYY-MM"

MAX_MONTHS = 60  # five years per request, as /v1/stats/daily
MAX_DAYS = 5 * 366
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}}, "description": "JSON, or CSV with format=csv"}
}

router = APIRouter(prefix="/v1/stats", tags=["figures"])


# --- response models -----------------------------------------------------------------------


class Protected(BaseModel):
    """The privacy rule every figure below was withheld by."""

    min_group_size: int
    min_cell_count: int
    note: str


class ShareCell(BaseModel):
    group: str
    name: str
    employees: int
    repeated: int | None  # employees with more than 3 occasions in 12 months
    percent: float | None


class SharePoint(BaseModel):
    date: date
    all: ShareCell
    groups: list[ShareCell]


class RepeatedAbsenceOut(Protected):
    group_by: str | None
    more_than: int
    window_months: int
    points: list[SharePoint]


class BandCell(BaseModel):
    band: str
    spells: int | None
    sick_days: int | None


class LengthOut(Protected):
    from_: date = Field(alias="from")
    to: date
    employees: int
    total: BandCell
    bands: list[BandCell]


class NetDaysCell(BaseModel):
    net_days: float | None
    short_term_net_days: float | None
    net_days_per_employee: float | None
    short_term_net_days_per_employee: float | None


class NetDaysMonth(BaseModel):
    month: str
    employees: int
    sick: NetDaysCell
    vab: NetDaysCell


class NetDaysOut(Protected):
    from_: str = Field(alias="from")
    to: str
    unit: str
    level: Literal["municipality", "department", "workplace"]
    as_of: date
    months: list[NetDaysMonth]


class RatioCell(BaseModel):
    employees: int
    ordinary_hours: float
    sick_hours: float | None
    percent: float | None  # sick hours ÷ ordinary hours × 100


class LongTermCell(BaseModel):
    long_term_sick_hours: float | None  # in spells of 60 calendar days or more
    sick_hours: float | None
    percent: float | None


class KeyFiguresOut(Protected):
    year: int
    through: date
    overall: RatioCell
    women: RatioCell
    men: RatioCell
    age_up_to_29: RatioCell
    age_30_to_49: RatioCell
    age_50_and_over: RatioCell
    long_term: LongTermCell


class CostMonthOut(BaseModel):
    month: str
    reference_month: str
    employees: int
    reference_employees: int
    net_days: float | None
    reference_net_days: float | None
    per_employee: float | None
    reference_per_employee: float | None
    trend_factor: float
    adjusted_per_employee: float | None
    saved_days: float | None
    value: float | None  # kronor


class CostOut(Protected):
    from_: str = Field(alias="from")
    to: str
    reference_from: str
    reference_to: str
    price_per_day: float
    short_term_only: bool
    trend: dict[str, float] | None
    months: list[CostMonthOut]
    saved_days: float | None
    value: float | None


# --- parameters ----------------------------------------------------------------------------


def _invalid(message: str) -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, message)


def _today(rt: StatsRuntime) -> date:
    return local_date(rt.clock.now())


def _month(value: str | None, name: str, default: str) -> str:
    try:
        return default if value is None else report_views.parse_month(value, name)
    except ValueError as error:
        raise _invalid(str(error)) from None


def _months(
    first: str | None, last: str | None, latest: str, names: tuple[str, str] = ("from", "to")
) -> tuple[str, str]:
    """A month range, by default the 12 months up to `latest`, which it may not pass."""
    last = _month(last, names[1], latest)
    first = _month(first, names[0], report_views.shift_month(last, -11))
    if last < first:
        raise _invalid(f"'{names[1]}' is before '{names[0]}'")
    if last > latest:
        raise _invalid(f"'{names[1]}' may be {latest} at the latest")
    if len(figures.months_between(first, last)) > MAX_MONTHS:
        raise _invalid(f"at most {MAX_MONTHS} months ('{names[0]}' to '{names[1]}') per request")
    return first, last


def _unit(org: Org, department_id: str | None, workplace_id: str | None) -> tuple[str, str]:
    """(level, unit id) of the unit asked about; 422 for an unknown one or for both."""
    if department_id is not None and workplace_id is not None:
        raise _invalid("give 'department_id' or 'workplace_id', not both")
    if workplace_id is not None:
        if workplace_id not in org.workplace_department:
            raise _invalid(f"no workplace {workplace_id!r}")
        return "workplace", workplace_id
    if department_id is not None:
        if department_id not in {*org.workplace_department.values(), *org.department_names}:
            raise _invalid(f"no department {department_id!r}")
        return "department", department_id
    return "municipality", "municipality"


def _protected(rt: StatsRuntime) -> dict[str, Any]:
    settings = rt.settings
    return {
        "min_group_size": settings.min_group_size,
        "min_cell_count": settings.min_cell_count,
        "note": NOTE,
    }


def _rows(
    rt: StatsRuntime, ranges: list[tuple[date, date]], starting: bool = False
) -> tuple[list[SpellRow], list[EmployeeRow]]:
    """The employees, and the spells with a day in (or, `starting`, beginning in) the ranges."""
    read = figure_rows.spells_starting if starting else figure_rows.spells_touching
    with rt.uow() as uow:
        spells = {s.spell_id: s for first, last in ranges for s in read(uow.session, first, last)}
    return list(spells.values()), rt.employee_rows()


# --- endpoints -----------------------------------------------------------------------------


@router.get("/repeated-absence", response_model=RepeatedAbsenceOut, responses=CSV)
def repeated_absence(
    rt: Runtime,
    _reader: AggregateReader,
    on: Annotated[date | None, Query(alias="date", description="one day instead of months")] = None,
    first: Annotated[str | None, Query(alias="from", description=MONTH)] = None,
    last: Annotated[str | None, Query(alias="to", description=MONTH)] = None,
    group_by: Literal["department", "gender", "age_group"] | None = None,
    format: Format = "json",
) -> RepeatedAbsenceOut | Response:
    """Share of employees with more than 3 sick occasions in the 12 months up to each month's
    end (today in the current month), or up to `date`; by department, gender or age group."""
    today = _today(rt)
    if on is None:
        days = report_views.series_days(*_months(first, last, today.strftime("%Y-%m")), today)
    elif first is not None or last is not None:
        raise _invalid("give 'date' or 'from'/'to', not both")
    elif on > today:
        raise _invalid(f"'date' may be {today} at the latest")
    else:
        days = [on]
    org = rt.org()
    after = figures.months_before(days[0], report_views.WINDOW_MONTHS) + ONE_DAY

    def compute() -> list[dict[str, Any]]:
        spells, employees = _rows(rt, [(after, days[-1])], starting=True)
        return report_views.repeated_absence_points(
            spells, employees, days, group_by, org, rt.suppression
        )

    key = ("repeated-absence", today, tuple(days), group_by)
    points = rt.figure_cache.get_or_compute(key, [(after, days[-1])], compute)
    if format == "csv":
        rows = report_views.repeated_absence_rows(points)
        return csv_response(rows, f"repeated-absence-{days[0]}-{days[-1]}.csv")
    return RepeatedAbsenceOut.model_validate(
        {**_protected(rt), "group_by": group_by, "more_than": report_views.MORE_THAN,
         "window_months": report_views.WINDOW_MONTHS, "points": points}
    )  # fmt: skip


@router.get("/length", response_model=LengthOut, responses=CSV)
def length(
    rt: Runtime,
    _reader: AggregateReader,
    first: Annotated[date | None, Query(alias="from", description="default: a year ago")] = None,
    last: Annotated[date | None, Query(alias="to", description="default: today")] = None,
    format: Format = "json",
) -> LengthOut | Response:
    """Sick spells that started in the period and their sick days, by length: days 1-14,
    15-90, 91+ (an open spell is measured to `to`)."""
    today = _today(rt)
    last = last or today
    first = first or figures.months_before(last, 12) + ONE_DAY
    if last < first:
        raise _invalid("'to' is before 'from'")
    if last > today:
        raise _invalid(f"'to' may be {today} at the latest")
    if (last - first).days >= MAX_DAYS:
        raise _invalid("at most five years per request")

    def compute() -> dict[str, Any]:
        spells, employees = _rows(rt, [(first, last)], starting=True)
        return report_views.length_figures(spells, employees, first, last, rt.suppression)

    found = rt.figure_cache.get_or_compute(("length", today, first, last), [(first, last)], compute)
    if format == "csv":
        return csv_response([found["total"], *found["bands"]], f"length-{first}-{last}.csv")
    return LengthOut.model_validate({**_protected(rt), "from": first, "to": last, **found})


@router.get("/net-days", response_model=NetDaysOut, responses=CSV)
def net_days(
    rt: Runtime,
    _reader: AggregateReader,
    first: Annotated[str | None, Query(alias="from", description=MONTH)] = None,
    last: Annotated[str | None, Query(alias="to", description=MONTH)] = None,
    department_id: str | None = None,
    workplace_id: str | None = None,
    format: Format = "json",
) -> NetDaysOut | Response:
    """Net days (sick hours ÷ 8) per month and per employee, short-term (days 1-14 of each
    spell) beside, sick and VAB apart; the municipality, a department or a workplace."""
    today = _today(rt)
    first, last = _months(first, last, today.strftime("%Y-%m"))
    org = rt.org()
    level, unit = _unit(org, department_id, workplace_id)
    period = (report_views.month_first_day(first), min(report_views.month_last_day(last), today))

    def compute() -> list[dict[str, Any]]:
        spells, employees = _rows(rt, [period])
        return report_views.net_days_figures(
            spells, employees, first, last, today, org, rt.suppression, department_id, workplace_id
        )

    key = ("net-days", today, first, last, level, unit)
    months = rt.figure_cache.get_or_compute(key, [period], compute)
    if format == "csv":
        rows = report_views.net_days_rows(months)
        return csv_response(rows, f"net-days-{unit}-{first}-{last}.csv")
    return NetDaysOut.model_validate(
        {**_protected(rt), "from": first, "to": last, "unit": unit, "level": level,
         "as_of": today, "months": months}
    )  # fmt: skip


@router.get("/key-figures", response_model=KeyFiguresOut, responses=CSV)
def key_figures(
    rt: Runtime,
    _reader: AggregateReader,
    year: Annotated[int | None, Query(ge=1900, description="default: this year, so far")] = None,
    format: Format = "json",
) -> KeyFiguresOut | Response:
    """SKR's mandatory key figures: sick hours as a percentage of ordinary working hours,
    overall, women, men, ≤29, 30-49, ≥50, and the share of sick hours in spells of 60 days
    or more. The current year counts up to today."""
    today = _today(rt)
    year = year or today.year
    if year > today.year:
        raise _invalid(f"'year' may be {today.year} at the latest")
    through = min(date(year, 12, 31), today)
    period = (date(year, 1, 1), through)

    def compute() -> dict[str, Any]:
        spells, employees = _rows(rt, [period])
        return report_views.key_figure_cells(spells, employees, year, through, rt.suppression)

    cells = rt.figure_cache.get_or_compute(("key-figures", today, year), [period], compute)
    if format == "csv":
        return csv_response(report_views.key_figure_rows(cells), f"key-figures-{year}.csv")
    return KeyFiguresOut(**_protected(rt), year=year, through=through, **cells)


@router.get("/cost", response_model=CostOut, responses=CSV)
def cost(
    rt: Runtime,
    _reader: AggregateReader,
    first: Annotated[str | None, Query(alias="from", description=MONTH)] = None,
    last: Annotated[str | None, Query(alias="to", description=MONTH)] = None,
    reference_from: Annotated[str | None, Query(description=MONTH)] = None,
    reference_to: Annotated[str | None, Query(description=MONTH)] = None,
    price_per_day: Annotated[
        float | None, Query(gt=0, le=1_000_000, description="kronor; default: the setting")
    ] = None,
    trend: Annotated[str | None, Query(description="e.g. 01=0.98,02=0.97 or 2026-01=0.98")] = None,
    short_term_only: bool = True,
    format: Format = "json",
) -> CostOut | Response:
    """Net days per employee month by month against the same calendar month of a reference
    period (by default the 12 months before), trend-adjusted, the saved days valued at
    `price_per_day`. Whole months only."""
    latest = report_views.shift_month(_today(rt).strftime("%Y-%m"), -1)
    first, last = _months(first, last, latest)
    if reference_from is None and reference_to is None:  # the 12 months before 'from'
        reference_to = report_views.shift_month(first, -1)
    elif reference_to is None:  # 12 months from 'reference_from'
        reference_to = report_views.shift_month(_month(reference_from, "reference_from", ""), 11)
    reference = _months(reference_from, reference_to, latest, ("reference_from", "reference_to"))
    if len(figures.months_between(*reference)) > 12:
        raise _invalid("the reference period is at most 12 months")
    try:
        factors = None if trend is None else report_views.parse_trend(trend)
    except ValueError as error:
        raise _invalid(str(error)) from None
    price = rt.settings.price_per_day if price_per_day is None else price_per_day
    ranges = [
        (report_views.month_first_day(a), report_views.month_last_day(b))
        for a, b in ((first, last), reference)
    ]

    def compute() -> dict[str, Any]:
        spells, employees = _rows(rt, ranges)
        try:
            evaluation = figures.cost_evaluation(
                spells, employees, (first, last), reference, price, factors, short_term_only
            )
        except ValueError as error:  # the reference lacks a month, or a trend factor is missing
            raise _invalid(str(error)) from None
        return report_views.cost_figures(evaluation, rt.suppression)

    key = ("cost", _today(rt), first, last, reference, price, short_term_only,
           None if factors is None else tuple(sorted(factors.items())))  # fmt: skip
    found = rt.figure_cache.get_or_compute(key, ranges, compute)
    if format == "csv":
        return csv_response(report_views.cost_rows(found), f"cost-{first}-{last}.csv")
    return CostOut.model_validate(
        {**_protected(rt), "from": first, "to": last, "reference_from": reference[0],
         "reference_to": reference[1], "price_per_day": price,
         "short_term_only": short_term_only, "trend": factors, **found}
    )  # fmt: skip
