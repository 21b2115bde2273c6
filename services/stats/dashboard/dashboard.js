// The crisis team's dashboard: one day's figures for the municipality, its departments and
// workplaces, with a 60-day trend per department. Only aggregates, each withheld cell marked.
"use strict";

(() => {
  const { $, el, say, figure } = window.Halso;
  const TOKEN_KEY = "halsosupport.stats-token";
  const TREND_DAYS = 60;
  const CHART_HEIGHT = 220;

  // The cards at the top: what the crisis team asks first, in the order it asks.
  const HEADLINE = [
    ["new_sick", "Nya sjukanmälningar"],
    ["new_vab", "Nya VAB-anmälningar"],
    ["back", "Tillbaka i arbete"],
    ["absent", "Frånvarande"],
    ["absent_per_100", "Frånvarande per 100 anställda"],
  ];
  // The table's columns after the unit's name; the order of the <th>s in index.html.
  const COLUMNS = [
    "headcount",
    "new_sick",
    "new_vab",
    "back",
    "absent_sick",
    "absent_vab",
    "absent",
    "absent_per_100",
  ];

  const state = {
    token: null,
    generation: 0, // a newer load makes the answers of an older one moot
    charts: [],
    resizer: null,
  };

  const tickDate = new Intl.DateTimeFormat("sv-SE", { day: "numeric", month: "short" });
  const per100 = new Intl.NumberFormat("sv-SE", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const axisNumber = new Intl.NumberFormat("sv-SE", { maximumFractionDigits: 1 });

  // ---- loading ----------------------------------------------------------------------------

  async function load(day) {
    const generation = ++state.generation;
    // Assistive technology (and the browser tests) can tell a page being redrawn from one
    // that is done: the trends arrive after the day's figures.
    $("workspace").setAttribute("aria-busy", "true");
    try {
      await fetchAndRender(day, generation);
    } finally {
      if (generation === state.generation) $("workspace").removeAttribute("aria-busy");
    }
  }

  async function fetchAndRender(day, generation) {
    const query = day ? `?${new URLSearchParams({ date: day })}` : "";
    say("global-message", "", "Hämtar lägesbilden …");
    let today;
    try {
      today = await window.Halso.getJson(`v1/stats/today${query}`, state.token);
    } catch (error) {
      if (generation !== state.generation) return;
      const text = window.Halso.failure("Kunde inte hämta lägesbilden", error);
      if (window.Halso.isRefusal(error)) signOut(text);
      else say("global-message", "error", text);
      return;
    }
    if (generation !== state.generation) return;
    say("global-message", "", "");
    $("day-input").value = today.date;
    $("loaded-at").textContent = `Hämtat kl. ${window.Halso.clockNow()}`;
    renderOverview(today);
    renderUnits(today);
    renderCauses(today.causes);
    await loadTrends(today, generation);
  }

  async function loadTrends(today, generation) {
    const to = today.date;
    const from = window.Halso.addDays(to, -(TREND_DAYS - 1));
    const daily = (departmentId) => {
      const params = new URLSearchParams({ from, to });
      if (departmentId) params.set("department_id", departmentId);
      return window.Halso.getJson(`v1/stats/daily?${params}`, state.token);
    };
    say("trend-message", "", "Hämtar trenderna …");
    // One department that cannot be had (say, just renamed) must not take the others with it.
    const settled = await Promise.allSettled([
      daily(null),
      ...today.departments.map((d) => daily(d.department_id)),
    ]);
    if (generation !== state.generation) return;
    const refused = settled.find(
      (r) => r.status === "rejected" && window.Halso.isRefusal(r.reason),
    );
    if (refused) {
      signOut(window.Halso.failure("Kunde inte hämta trenderna", refused.reason));
      return;
    }
    const [municipality, ...answers] = settled;
    const names = ["hela kommunen", ...today.departments.map((d) => d.department_name)];
    const failures = settled
      .map((r, i) => (r.status === "rejected" ? window.Halso.failure(names[i], r.reason) : null))
      .filter(Boolean);
    say(
      "trend-message",
      failures.length ? "error" : "",
      failures.length ? `Kunde inte hämta trenden för ${failures.join("; ")}` : "",
    );
    renderTrends(
      today.departments,
      answers,
      municipality.status === "fulfilled" ? municipality.value : null,
    );
  }

  // ---- today's figures --------------------------------------------------------------------

  function renderOverview(today) {
    const isToday = today.date === window.Halso.today();
    $("overview-date").textContent =
      `${capitalised(window.Halso.dateInWords(today.date))} · ` +
      `${today.municipality.headcount} anställda`;
    const previous = isToday ? "I går" : "Dagen före";
    $("figures").replaceChildren(
      ...HEADLINE.map(([field, label]) => {
        const decimals = field === "absent_per_100";
        return el(
          "article",
          { className: "figure-card", dataset: { field } },
          el("h3", {}, label),
          el(
            "p",
            { className: "figure-today", dataset: { period: "today" } },
            figure(today.municipality[field], { decimals }),
          ),
          el(
            "dl",
            { className: "figure-earlier" },
            el(
              "div",
              {},
              el("dt", {}, previous),
              el(
                "dd",
                { dataset: { period: "yesterday" } },
                figure(today.yesterday[field], { decimals }),
              ),
            ),
            el(
              "div",
              {},
              el("dt", {}, "Samma dag förra veckan"),
              el(
                "dd",
                { dataset: { period: "last_week" } },
                figure(today.last_week[field], { decimals }),
              ),
            ),
          ),
        );
      }),
    );
    $("suppression-note").replaceChildren(
      el("abbr", { className: "suppressed" }, window.Halso.SUPPRESSED_TEXT),
      ` betyder att siffran inte visas: den skulle beskriva färre än ${today.min_cell_count} ` +
        `personer eller en grupp med färre än ${today.min_group_size} anställda. Ibland döljs ` +
        "också en större siffra bredvid, så att den dolda inte kan räknas fram.",
    );
  }

  function capitalised(text) {
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  function figureCells(unit) {
    return COLUMNS.map((field) =>
      el(
        "td",
        { className: "num", dataset: { field } },
        figure(unit[field], { decimals: field === "absent_per_100" }),
      ),
    );
  }

  function renderUnits(today) {
    const byName = (a, b, key) => a[key].localeCompare(b[key], "sv");
    const departments = [...today.departments].sort((a, b) =>
      byName(a, b, "department_name"),
    );
    const rows = [];
    for (const department of departments) {
      rows.push(
        el(
          "tr",
          { className: "department", dataset: { departmentId: department.department_id } },
          el("th", { scope: "row" }, department.department_name),
          ...figureCells(department),
        ),
      );
      const workplaces = today.workplaces
        .filter((w) => w.department_id === department.department_id)
        .sort((a, b) => byName(a, b, "workplace_name"));
      for (const workplace of workplaces) {
        rows.push(
          el(
            "tr",
            { className: "workplace", dataset: { workplaceId: workplace.workplace_id } },
            el("th", { scope: "row" }, workplace.workplace_name),
            ...figureCells(workplace),
          ),
        );
      }
    }
    $("units-body").replaceChildren(...rows);
    $("units-foot").replaceChildren(
      el(
        "tr",
        { className: "municipality", dataset: { unit: "municipality" } },
        el("th", { scope: "row" }, "Hela kommunen"),
        ...figureCells(today.municipality),
      ),
    );
  }

  function renderCauses(causes) {
    const shown = causes.filter((c) => c.absent_sick !== null);
    const largest = Math.max(1, ...shown.map((c) => c.absent_sick));
    const ordered = [...causes].sort(
      (a, b) =>
        (b.absent_sick ?? -1) - (a.absent_sick ?? -1) || a.label.localeCompare(b.label, "sv"),
    );
    $("causes-empty").hidden = causes.length > 0;
    $("causes-table").hidden = causes.length === 0;
    $("causes-body").replaceChildren(
      ...ordered.map((cause) => {
        let bar = null;
        if (cause.absent_sick !== null) {
          const fill = el("span", { className: "bar-fill" });
          // CSSOM, not a style attribute: the CSP allows the one and refuses the other.
          fill.style.width = `${(100 * cause.absent_sick) / largest}%`;
          bar = el("span", { className: "bar", "aria-hidden": "true" }, fill);
        }
        return el(
          "tr",
          { dataset: { reasonCategory: cause.reason_category } },
          el("th", { scope: "row" }, cause.label),
          el(
            "td",
            { className: "num", dataset: { field: "absent_sick" } },
            figure(cause.absent_sick),
          ),
          el("td", { className: "bar-cell" }, bar),
        );
      }),
    );
  }

  // ---- the trend charts -------------------------------------------------------------------

  function localMidnight(isoDate) {
    const [year, month, day] = isoDate.split("-").map(Number);
    return new Date(year, month - 1, day).getTime() / 1000;
  }

  function per100Text(value) {
    return value === null || value === undefined
      ? window.Halso.SUPPRESSED_TEXT
      : per100.format(value);
  }

  function describeTrend(name, days) {
    const shown = days.filter((d) => d.absent_per_100 !== null);
    if (shown.length === 0) {
      return `${name}: inga siffror visas de senaste ${days.length} dagarna (för få).`;
    }
    const last = shown[shown.length - 1];
    const top = shown.reduce((a, b) => (b.absent_per_100 > a.absent_per_100 ? b : a));
    return (
      `${name}, frånvarande per 100 anställda de senaste ${days.length} dagarna: ` +
      `${per100Text(last.absent_per_100)} den ${last.date}, högst ` +
      `${per100Text(top.absent_per_100)} den ${top.date}.`
    );
  }

  function trendTable(name, days, municipality) {
    const municipalityOn = municipality
      ? new Map(municipality.days.map((d) => [d.date, d.absent_per_100]))
      : null;
    const numberCell = (value, field) =>
      el("td", { className: "num", dataset: { field } }, figure(value, { decimals: true }));
    return el(
      "details",
      { className: "trend-numbers" },
      el("summary", {}, `Visa siffrorna för ${name}`),
      el(
        "div",
        { className: "table-wrap" },
        el(
          "table",
          { className: "figures-table compact" },
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", { scope: "col" }, "Dag"),
              el("th", { scope: "col", className: "num" }, name),
              municipalityOn && el("th", { scope: "col", className: "num" }, "Hela kommunen"),
            ),
          ),
          el(
            "tbody",
            {},
            ...[...days].reverse().map((d) =>
              el(
                "tr",
                { dataset: { date: d.date } },
                el("th", { scope: "row" }, d.date),
                numberCell(d.absent_per_100, "absent_per_100"),
                municipalityOn && numberCell(municipalityOn.get(d.date), "municipality"),
              ),
            ),
          ),
        ),
      ),
    );
  }

  // The legend follows the cursor; with no day under it, a value would read as withheld.
  function legendValue(u, value, series, at) {
    return at === null || at === undefined ? "–" : per100Text(value);
  }

  function chartOptions(name, width, yMax, withMunicipality) {
    const brand = getComputedStyle(document.documentElement).getPropertyValue("--brand").trim();
    const axis = {
      stroke: "#556070",
      grid: { stroke: "#e3e8ee", width: 1 },
      ticks: { stroke: "#d5dbe3", width: 1 },
      font: "12px system-ui, sans-serif",
    };
    return {
      width,
      height: CHART_HEIGHT,
      scales: { x: { time: true }, y: { range: [0, yMax] } },
      axes: [
        { ...axis, values: (u, splits) => splits.map((s) => tickDate.format(new Date(s * 1000))) },
        { ...axis, size: 40, values: (u, splits) => splits.map((s) => axisNumber.format(s)) },
      ],
      series: [
        {
          label: "Dag",
          value: (u, v, series, at) =>
            at === null || at === undefined ? "–" : tickDate.format(v * 1000),
        },
        {
          label: name,
          stroke: brand || "#0b5394",
          width: 2,
          fill: "rgba(11, 83, 148, 0.10)",
          value: legendValue,
        },
        withMunicipality && {
          label: "Hela kommunen",
          stroke: "#7a8494",
          width: 1.5,
          dash: [6, 4],
          value: legendValue,
        },
      ].filter(Boolean),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
  }

  function destroyCharts() {
    for (const { chart } of state.charts) chart.destroy();
    state.charts = [];
    if (state.resizer) state.resizer.disconnect();
    state.resizer = null;
  }

  function trendFigure(department, days, municipality) {
    const name = department.department_name;
    const caption = el("figcaption", {}, el("span", { className: "trend-name" }, name));
    const node = el(
      "figure",
      { className: "trend", dataset: { departmentId: department.department_id } },
      caption,
    );
    if (!days) {
      node.append(el("p", { className: "trend-error" }, "Trenden kunde inte hämtas."));
      return { node, plot: null, days };
    }
    const latest = days.length ? days[days.length - 1].absent_per_100 : null;
    caption.append(
      el(
        "span",
        { className: "trend-latest" },
        "Senast: ",
        figure(latest, { decimals: true }),
        latest === null ? null : " per 100", // "<5 per 100" would claim a rate it does not know
      ),
    );
    const plot = el("div", {
      className: "chart",
      role: "img",
      "aria-label": describeTrend(name, days),
    });
    node.append(plot, trendTable(name, days, municipality));
    return { node, plot, days, name };
  }

  function renderTrends(departments, answers, municipality) {
    destroyCharts();
    const container = $("trends");
    const got = answers.map((a) => (a.status === "fulfilled" ? a.value.days : null));
    const values = [municipality ? municipality.days : [], ...got.filter(Boolean)].flatMap(
      (days) => days.map((d) => d.absent_per_100),
    );
    const highest = Math.max(1, ...values.filter((v) => v !== null));
    const yMax = Math.ceil(highest / 5) * 5; // one scale for all, so the charts compare
    const figures = departments.map((d, i) => trendFigure(d, got[i], municipality));
    container.replaceChildren(...figures.map((f) => f.node));
    for (const { plot, days, name } of figures) {
      if (!plot) continue;
      const data = [days.map((d) => localMidnight(d.date)), days.map((d) => d.absent_per_100)];
      if (municipality) data.push(municipality.days.map((d) => d.absent_per_100));
      const options = chartOptions(name, plot.clientWidth, yMax, Boolean(municipality));
      state.charts.push({ chart: new window.uPlot(options, data, plot), plot });
    }
    state.resizer = new ResizeObserver(() => {
      for (const { chart, plot } of state.charts) {
        if (plot.clientWidth && plot.clientWidth !== chart.width) {
          chart.setSize({ width: plot.clientWidth, height: CHART_HEIGHT });
        }
      }
    });
    state.resizer.observe(container);
  }

  // ---- signing in and out -----------------------------------------------------------------

  // Nothing the previous user saw stays in the page.
  function hide() {
    state.generation += 1;
    $("workspace").removeAttribute("aria-busy");
    state.token = null;
    destroyCharts();
    for (const id of ["figures", "trends", "units-body", "units-foot", "causes-body"]) {
      $(id).replaceChildren();
    }
    for (const id of ["overview-date", "suppression-note", "loaded-at"]) $(id).textContent = "";
    say("trend-message", "", "");
  }

  function show(token) {
    state.token = token;
    load(null);
  }

  let signOut = () => {};

  document.addEventListener("DOMContentLoaded", () => {
    $("day-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const day = $("day-input").value;
      if (!day) {
        say("global-message", "error", "Välj en dag först.");
        $("day-input").focus();
        return;
      }
      load(day);
    });
    $("today-button").addEventListener("click", () => load(null));
    ({ signOut } = window.Halso.signInFlow({ key: TOKEN_KEY, show, hide }));
  });
})();
