// "Mina ärenden": the cases the caller is on, with the employee's name (the id until the
// directory names them), status, due date, owner and rule; a conversation not held by its due
// date is marked late. No documentation here.
"use strict";

(() => {
  const { $, el, say } = window.Halso;
  const C = window.Cases;
  const WAITING = new Set(["open", "booked"]); // the conversation is still to be held
  let generation = 0;

  async function load(token) {
    const mine = ++generation;
    say("global-message", "", "Hämtar dina ärenden …");
    let cases;
    try {
      cases = await window.Halso.getJson("v1/cases", token);
    } catch (error) {
      if (mine !== generation) return;
      const text = C.failure("Kunde inte hämta dina ärenden", error);
      if (error.status === 401) signOut(text);
      else say("global-message", "error", text);
      return;
    }
    if (mine !== generation) return;
    say("global-message", "", "");
    render(cases, window.Halso.today());
  }

  function dueCell(c, today) {
    const late = WAITING.has(c.status) && c.due_on < today;
    return el(
      "td",
      { className: late ? "overdue" : null, dataset: { field: "due_on", late: late ? "true" : null } },
      c.due_on,
      late ? el("span", { className: "overdue-note" }, " försenat") : null,
    );
  }

  function render(cases, today) {
    cases.sort((a, b) => (a.due_on < b.due_on ? -1 : a.due_on > b.due_on ? 1 : 0));
    $("cases-empty").hidden = cases.length > 0;
    $("cases-table").hidden = cases.length === 0;
    $("cases-body").replaceChildren(
      ...cases.map((c) =>
        el(
          "tr",
          { dataset: { caseId: c.case_id } },
          el(
            "th",
            { scope: "row", dataset: { field: "employee" } },
            el("a", { href: `cases/case?id=${encodeURIComponent(c.case_id)}` }, c.employee_name || c.employee_id),
          ),
          el("td", { dataset: { field: "rule" } }, C.ruleName(c.rule_id)),
          el("td", { dataset: { field: "status" } }, C.statusBadge(c.status)),
          dueCell(c, today),
          el(
            "td",
            { dataset: { field: "owner" } },
            `${C.OWNERS[c.owner_role] || c.owner_role}${c.owner_id ? ` (${c.owner_id})` : ""}`,
          ),
          el("td", { dataset: { field: "opened_on" } }, c.opened_on),
        ),
      ),
    );
  }

  function hide() {
    generation += 1;
    $("cases-body").replaceChildren();
  }

  const signOut = C.signIn({ show: load, hide });
})();
