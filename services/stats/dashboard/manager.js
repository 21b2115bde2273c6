// The manager's page: their own units, who is away now and which follow-ups wait for them.
// Names are shown because these are the manager's own staff; reasons never reach this page.
"use strict";

(() => {
  const { $, el, say } = window.Halso;
  const TOKEN_KEY = "halsosupport.manager-token";
  const ABSENCE_LABELS = { sick: "Sjuk", vab: "VAB" };
  // The titles the notifier's Swedish letters use (services/notifier/templates/sv/_words.j2),
  // so the page and the e-mail name a follow-up alike; an unknown rule shows its id.
  const RULE_TITLES = {
    omtankesamtal: "Omtankesamtal ska hållas",
    hr_contact: "Upprepad sjukfrånvaro: personalspecialisten kontaktar chefen",
    trepartssamtal: "Trepartssamtal ska hållas",
    hr_followup: "Uppföljning av omtankesamtal och rehabilitering",
    karens_limit: "Tionde karensavdraget på tolv månader",
    nurse_followup: "Uppföljande samtal från Hälsosupport",
    certificate_reminder: "Läkarintyg behövs från dag 8",
    fk_report_due: "Sjukfallet ska anmälas till Försäkringskassan",
    rehab_investigation: "Rehabiliteringsutredning ska startas",
    return_plan_due: "Plan för återgång i arbete",
    rehab_chain_checkpoint: "Rehabiliteringskedjan",
    well_report_missing: "Friskanmälan saknas",
    well_report_missing_manager: "Friskanmälan saknas",
    repeated_absence: "Upprepad korttidsfrånvaro",
    short_spells: "Upprepad korttidsfrånvaro",
  };

  const state = { token: null, generation: 0 };

  function ruleTitle(ruleId) {
    if (RULE_TITLES[ruleId]) return RULE_TITLES[ruleId];
    if (ruleId.startsWith("bradford_")) return "Upprepad korttidsfrånvaro (Bradfordfaktorn)";
    return ruleId;
  }

  async function load() {
    const generation = ++state.generation;
    say("global-message", "", "Hämtar dina enheter …");
    let team;
    try {
      team = await window.Halso.getJson("../v1/manager/team", state.token);
    } catch (error) {
      if (generation !== state.generation) return;
      const text = window.Halso.failure("Kunde inte hämta dina enheter", error);
      if (window.Halso.isRefusal(error)) signOut(text);
      else say("global-message", "error", text);
      return;
    }
    if (generation !== state.generation) return;
    say("global-message", "", "");
    $("loaded-at").textContent = `Hämtat kl. ${window.Halso.clockNow()}`;
    const unitNames = new Map(team.workplaces.map((w) => [w.workplace_id, w.name]));
    renderUnits(team);
    renderAway(team.away, unitNames, window.Halso.today());
    renderTriggers(team.open_triggers, window.Halso.today());
  }

  function renderUnits(team) {
    const awayIn = new Map();
    for (const person of team.away) {
      awayIn.set(person.workplace_id, (awayIn.get(person.workplace_id) || 0) + 1);
    }
    $("units-empty").hidden = team.workplaces.length > 0;
    $("units").replaceChildren(
      ...team.workplaces.map((unit) => {
        const away = awayIn.get(unit.workplace_id) || 0;
        return el(
          "li",
          { dataset: { workplaceId: unit.workplace_id } },
          el("span", { className: "unit-name" }, unit.name),
          el("span", { className: "unit-away" }, away === 1 ? "1 borta nu" : `${away} borta nu`),
        );
      }),
    );
  }

  // Passed means the day has gone by and no well report came: the manager should find out why.
  function returnCell(expected, today) {
    if (!expected) return el("td", { dataset: { field: "expected_return" } }, "–");
    const passed = expected < today;
    return el(
      "td",
      {
        className: passed ? "overdue" : null,
        dataset: { field: "expected_return", passed: passed ? "true" : null },
      },
      expected,
      passed ? el("span", { className: "overdue-note" }, " passerad, friskanmälan saknas") : null,
    );
  }

  function renderAway(away, unitNames, today) {
    $("away-empty").hidden = away.length > 0;
    $("away-table").hidden = away.length === 0;
    $("away-body").replaceChildren(
      ...away.map((person) => {
        const day = window.Halso.daysBetween(person.sick_from, today) + 1;
        return el(
          "tr",
          { dataset: { employeeId: person.employee_id } },
          el("th", { scope: "row", dataset: { field: "name" } }, person.name),
          el(
            "td",
            { dataset: { field: "workplace" } },
            unitNames.get(person.workplace_id) || person.workplace_id,
          ),
          el(
            "td",
            { dataset: { field: "absence_type" } },
            ABSENCE_LABELS[person.absence_type] || person.absence_type,
          ),
          el(
            "td",
            { dataset: { field: "sick_from" } },
            person.sick_from,
            el("span", { className: "day-number" }, ` (dag ${day})`),
          ),
          el(
            "td",
            { className: "num", dataset: { field: "degree_percent" } },
            `${person.degree_percent} %`,
          ),
          returnCell(person.expected_return, today),
        );
      }),
    );
  }

  function dueCell(due, today) {
    if (!due) return el("td", { dataset: { field: "due_on" } }, "–");
    const late = due < today;
    return el(
      "td",
      {
        className: late ? "overdue" : null,
        dataset: { field: "due_on", late: late ? "true" : null },
      },
      due,
      late ? el("span", { className: "overdue-note" }, " försenad") : null,
    );
  }

  function renderTriggers(triggers, today) {
    $("triggers-empty").hidden = triggers.length > 0;
    $("triggers-table").hidden = triggers.length === 0;
    $("triggers-body").replaceChildren(
      ...triggers.map((trigger) =>
        el(
          "tr",
          { dataset: { employeeId: trigger.employee_id, ruleId: trigger.rule_id } },
          el("th", { scope: "row", dataset: { field: "name" } }, trigger.name),
          el("td", { dataset: { field: "rule" } }, ruleTitle(trigger.rule_id)),
          el("td", { dataset: { field: "fired_on" } }, trigger.fired_on),
          dueCell(trigger.due_on, today),
        ),
      ),
    );
  }

  // ---- signing in and out -----------------------------------------------------------------

  // A desk may be shared: no name stays in the page once signed out.
  function hide() {
    state.generation += 1;
    state.token = null;
    for (const id of ["units", "away-body", "triggers-body"]) $(id).replaceChildren();
    $("loaded-at").textContent = "";
  }

  function show(token) {
    state.token = token;
    load();
  }

  let signOut = () => {};

  document.addEventListener("DOMContentLoaded", () => {
    $("refresh").addEventListener("click", load);
    ({ signOut } = window.Halso.signInFlow({ key: TOKEN_KEY, show, hide }));
  });
})();
