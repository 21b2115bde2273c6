// The nurse console. Plain script, no framework, on top of the shared base every page loads
// first (halsosupport/web_static/base.js, window.Halso): the page is served under a strict CSP
// (default-src 'self'), so nothing is inline and all text is set with textContent.
"use strict";

(() => {
  const { $, el, say, today, addDays } = window.Halso;
  const TOKEN_KEY = "halsosupport.nurse-token";
  // services/intake/domain.py FOLLOWUP_CALL_DAY: the call-back is on day 3, day 1 being the
  // first day of the spell, and never in the past for a backdated report.
  const FOLLOWUP_CALL_DAY = 3;
  const SEARCH_LIMIT = 20;
  // services/intake/settings.py backdating_limit_days; the server has the last word.
  const BACKDATING_LIMIT_DAYS = 7;

  const failure = window.Halso.failureWith({
    403: "behörighet saknas",
    409: "krockar med en befintlig period",
    422: "uppgifterna godtogs inte",
  });
  const ABSENCE_LABELS = { sick: "Sjuk", vab: "VAB" };
  const VISIBILITY_LABELS = { shared: "delas med chefen" };

  const state = {
    token: null,
    reasons: new Map(), // code -> Swedish label
    employee: null, // an item of GET /v1/employees (or what a follow-up row knows)
    spells: [],
    lastQuery: null,
    followupTouched: false,
    defaultsDay: null, // the day the sick form's date defaults were computed for
  };
  const pendingKeys = new WeakMap(); // form -> {body, key}: a retry reuses the key

  // ---- small DOM helpers ------------------------------------------------------------------

  function clear(region) {
    say(region, "", "");
  }

  // The forms are long: an answer printed above a button at the bottom must come into view.
  function tell(kind, text) {
    say("employee-message", kind, text);
    $("employee-message").scrollIntoView({ block: "nearest" });
  }

  // ---- dates: the line works in Swedish local time ----------------------------------------

  function laterOf(first, second) {
    return first > second ? first : second;
  }

  function defaultFollowup(sickFrom) {
    return laterOf(addDays(sickFrom, FOLLOWUP_CALL_DAY - 1), today());
  }

  // The API stores UTC; SQLite hands timestamps back without an offset.
  function clockTime(timestamp) {
    const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(timestamp) ? timestamp : `${timestamp}Z`;
    return window.Halso.timeOfDay(new Date(zoned));
  }

  // ---- the API ----------------------------------------------------------------------------

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    // Plain http on an intranet name is not a secure context and has no randomUUID.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
    return [...parts, hex.slice(20)].join("-");
  }

  // The same form sent again with the same content keeps its key, so a double click or a
  // retry after a lost answer registers once; changed content is a new request.
  function idempotencyKey(form, body) {
    const json = JSON.stringify(body);
    const last = pendingKeys.get(form);
    if (last && last.body === json) return last.key;
    const key = newKey();
    pendingKeys.set(form, { body: json, key });
    return key;
  }

  async function api(method, path, { body, form } = {}) {
    const headers = form ? { "Idempotency-Key": idempotencyKey(form, body) } : {};
    let data;
    try {
      data = await window.Halso.request(path, { token: state.token, method, body, headers });
    } catch (error) {
      if (error.status === 401) signOut("Inloggningen gäller inte längre. Logga in på nytt.");
      throw error;
    }
    if (form) pendingKeys.delete(form);
    return data;
  }

  // Runs one submission at a time per form; the button stays focusable for keyboard users.
  async function submitting(form, work) {
    if (form.dataset.busy) return;
    form.dataset.busy = "true";
    form.setAttribute("aria-busy", "true");
    try {
      await work();
    } finally {
      delete form.dataset.busy;
      form.removeAttribute("aria-busy");
    }
  }

  // ---- signing in and out -----------------------------------------------------------------

  // A desk is shared between shifts: nothing about anyone stays in the page once signed out.
  function forgetPeople() {
    state.employee = null;
    state.spells = [];
    state.lastQuery = null;
    $("employee").hidden = true;
    $("employee-name").textContent = "";
    $("employee-facts").replaceChildren();
    $("spells-body").replaceChildren();
    clear("employee-message");
    $("search-query").value = "";
    $("search-results").replaceChildren();
    clear("search-summary");
    $("followup-list").replaceChildren();
    clear("followups-summary");
  }

  function hide() {
    state.token = null;
    forgetPeople();
    $("shortcut-hint").hidden = true;
    for (const dialog of document.querySelectorAll("dialog[open]")) dialog.close();
  }

  // The reasons come first: a token they are refused to is refused before the page shows.
  async function check(token) {
    state.token = token;
    await loadReasons();
  }

  async function show() {
    $("shortcut-hint").hidden = false;
    $("search-query").focus();
    await loadFollowups();
  }

  let signOut = () => {};

  // ---- reasons ----------------------------------------------------------------------------

  async function loadReasons() {
    const reasons = await api("GET", "v1/reason-categories");
    state.reasons = new Map(reasons.map((r) => [r.code, r.label]));
    for (const node of document.querySelectorAll("[data-reason-label]")) {
      const label = state.reasons.get(node.dataset.reasonLabel);
      if (label) node.textContent = label;
    }
    for (const select of [$("sick-reason"), $("correct-reason")]) {
      select.replaceChildren(select.options[0]);
      for (const { code, label } of reasons) {
        if (code === "withheld" || code === "confidential") continue; // visibility, not reason
        select.append(el("option", { value: code }, label));
      }
    }
  }

  function reasonText(spell) {
    const category = spell.reason_category
      ? state.reasons.get(spell.reason_category) || spell.reason_category
      : "–";
    const visibility =
      VISIBILITY_LABELS[spell.reason_visibility] ||
      (state.reasons.get(spell.reason_visibility) || spell.reason_visibility).toLowerCase();
    return `${category} (${visibility})`;
  }

  // ---- search -----------------------------------------------------------------------------

  async function onSearch(event) {
    event.preventDefault();
    await runSearch($("search-query").value.trim(), { announce: true });
  }

  async function runSearch(query, { announce }) {
    const params = new URLSearchParams({ limit: String(SEARCH_LIMIT) });
    if (query) params.set("query", query);
    if (announce) say("search-summary", "", "Söker …");
    let page;
    try {
      page = await api("GET", `v1/employees?${params}`);
    } catch (error) {
      say("search-summary", "error", failure("Kunde inte söka", error));
      return;
    }
    state.lastQuery = query;
    renderResults(page);
  }

  function summaryOf(page) {
    if (page.total === 0) return "Ingen anställd matchar sökningen.";
    const hits = page.total === 1 ? "1 träff" : `${page.total} träffar`;
    if (page.total > page.items.length) return `${hits}, visar de ${page.items.length} första.`;
    return `${hits}.`;
  }

  function openSpellBadge(openSpell) {
    if (!openSpell) return el("span", { className: "badge closed" }, "Ingen pågående frånvaro");
    const type = openSpell.absence_type === "vab" ? "VAB" : "Sjukanmäld";
    return el("span", { className: "badge open" }, `${type} sedan ${openSpell.sick_from}`);
  }

  function renderResults(page) {
    say("search-summary", "", summaryOf(page));
    const list = $("search-results");
    list.replaceChildren(
      ...page.items.map((employee) =>
        el(
          "li",
          {},
          el(
            "button",
            { type: "button", className: "result", dataset: { employeeId: employee.employee_id } },
            el("span", { className: "result-name" }, employee.name),
            el(
              "span",
              { className: "result-meta" },
              `${employee.personnummer_masked} · ${employee.workplace_name}`,
            ),
            openSpellBadge(employee.open_spell),
          ),
        ),
      ),
    );
    list.employees = new Map(page.items.map((e) => [e.employee_id, e]));
  }

  function onResultClick(event) {
    const button = event.target.closest("button.result");
    if (!button) return;
    const employee = $("search-results").employees.get(button.dataset.employeeId);
    openEmployee(employee);
  }

  function onResultKeys(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    const buttons = Array.from($("search-results").querySelectorAll("button.result"));
    if (buttons.length === 0) return;
    const at = buttons.indexOf(document.activeElement);
    let next;
    if (event.key === "ArrowDown") next = at < 0 ? 0 : Math.min(at + 1, buttons.length - 1);
    else if (at <= 0) next = -1;
    else next = at - 1;
    event.preventDefault();
    (next < 0 ? $("search-query") : buttons[next]).focus();
  }

  // ---- one employee -----------------------------------------------------------------------

  async function openEmployee(employee) {
    state.employee = employee;
    clear("employee-message");
    resetSickForm();
    $("employee").hidden = false;
    $("employee-name").textContent = employee.name;
    renderFacts(employee);
    await loadSpells();
    $("employee-name").focus();
  }

  function renderFacts(employee) {
    const facts = [
      ["Personnummer", employee.personnummer_masked],
      ["Telefon", employee.phone],
      ["Arbetsplats", employee.workplace_name],
      ["Anställd till", employee.employed_to],
    ].filter(([, value]) => value);
    $("employee-facts").replaceChildren(
      ...facts.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
    );
  }

  function openSpellOf(spells) {
    return spells.find((s) => !s.retracted && s.well_from === null) || null;
  }

  async function loadSpells() {
    const employee = state.employee;
    let spells;
    try {
      const id = encodeURIComponent(employee.employee_id);
      spells = await api("GET", `v1/employees/${id}/spells`);
    } catch (error) {
      if (state.employee === employee) tell("error", failure("Kunde inte hämta perioderna", error));
      return;
    }
    if (state.employee !== employee) return; // another employee was opened meanwhile
    state.spells = spells;
    renderSpellState();
    renderSpells();
  }

  function renderSpellState() {
    const open = openSpellOf(state.spells);
    const line = $("spell-state");
    if (open) {
      const type = open.absence_type === "vab" ? "Pågående VAB" : "Pågående sjukfrånvaro";
      line.textContent = `${type} sedan ${open.sick_from} (${open.degree_percent} %)`;
      line.className = "spell-state open";
      line.dataset.spellId = open.spell_id;
    } else {
      line.textContent = "Ingen pågående frånvaro";
      line.className = "spell-state closed";
      delete line.dataset.spellId;
    }
    $("well-form").hidden = !open;
    $("sick-open-warning").hidden = !open;
    if (open) $("well-from").value = laterOf(today(), addDays(open.sick_from, 1));
  }

  function statusOf(spell) {
    if (spell.retracted) return el("span", { className: "badge retracted" }, "Återkallad");
    if (spell.well_from === null) return el("span", { className: "badge open" }, "Pågår");
    return el("span", { className: "badge closed" }, "Avslutad");
  }

  function followupText(spell) {
    if (!spell.followup_on) return "–";
    return spell.followup_outcome
      ? `${spell.followup_on}: ${spell.followup_outcome}`
      : spell.followup_on;
  }

  function spellActions(spell) {
    if (spell.retracted) return "";
    const about = `perioden från ${spell.sick_from}`;
    return el(
      "div",
      { className: "row-actions" },
      el(
        "button",
        { type: "button", className: "secondary small", "aria-label": `Rätta ${about}`,
          dataset: { action: "correct", spellId: spell.spell_id } },
        "Rätta",
      ),
      el(
        "button",
        { type: "button", className: "danger small", "aria-label": `Återkalla ${about}`,
          dataset: { action: "retract", spellId: spell.spell_id } },
        "Återkalla",
      ),
    );
  }

  function renderSpells() {
    const rows = state.spells.map((spell) =>
      el(
        "tr",
        { className: spell.retracted ? "retracted" : null, dataset: { spellId: spell.spell_id } },
        el("td", {}, ABSENCE_LABELS[spell.absence_type] || spell.absence_type),
        el("td", { className: "nowrap" }, spell.sick_from),
        el("td", { className: "nowrap" }, spell.well_from || "–"),
        el("td", { className: "nowrap" }, `${spell.degree_percent} %`),
        el("td", {}, reasonText(spell)),
        el("td", {}, followupText(spell)),
        el("td", {}, statusOf(spell)),
        el("td", {}, spellActions(spell)),
      ),
    );
    $("spells-body").replaceChildren(...rows);
    $("spells-table").hidden = rows.length === 0;
    $("spells-empty").hidden = rows.length !== 0;
  }

  async function afterChange() {
    await loadSpells();
    if (state.lastQuery !== null) await runSearch(state.lastQuery, { announce: false });
    await loadFollowups();
  }

  // ---- sick report ------------------------------------------------------------------------

  function resetSickForm() {
    const form = $("sick-form");
    form.reset();
    pendingKeys.delete(form);
    state.followupTouched = false;
    state.defaultsDay = null;
    refreshSickDefaults();
  }

  // The line is staffed around the clock and the page stays open: after midnight an untouched
  // "today" must move on, or a night call would be registered on yesterday.
  function refreshSickDefaults() {
    const day = today();
    if (state.defaultsDay === day) return;
    const sickFrom = $("sick-from");
    if (state.defaultsDay === null || sickFrom.value === state.defaultsDay) sickFrom.value = day;
    sickFrom.max = day;
    sickFrom.min = addDays(day, -BACKDATING_LIMIT_DAYS);
    if (!state.followupTouched) $("sick-followup").value = defaultFollowup(sickFrom.value);
    state.defaultsDay = day;
  }

  function onSickFromChange() {
    const sickFrom = $("sick-from").value;
    if (sickFrom && !state.followupTouched) $("sick-followup").value = defaultFollowup(sickFrom);
  }

  function dateOrNull(value) {
    return value ? value : null;
  }

  function sickBody(form) {
    const data = new FormData(form);
    return {
      employee_id: state.employee.employee_id,
      absence_type: data.get("absence_type"),
      sick_from: data.get("sick_from"),
      degree_percent: Number(data.get("degree_percent")),
      reason_category: data.get("reason_category") || null,
      reason_visibility: data.get("reason_visibility"),
      work_related: data.get("work_related") === "on",
      expected_return: dateOrNull(data.get("expected_return")),
      followup_on: dateOrNull(data.get("followup_on")),
      note: data.get("note").trim() || null,
    };
  }

  function onSickSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    submitting(form, async () => {
      if (!form.reportValidity()) return;
      const employee = state.employee;
      const body = sickBody(form);
      tell("", "Registrerar sjukanmälan …");
      let answer;
      try {
        answer = await api("POST", "v1/reports/sick", { body, form });
      } catch (error) {
        tell("error", failure("Kunde inte registrera sjukanmälan", error));
        return;
      }
      resetSickForm();
      await afterChange();
      tell(
        "ok",
        `Sjukanmälan registrerad för ${employee.name}. Period-id: ${answer.spell_id}`,
      );
    });
  }

  // ---- well report ------------------------------------------------------------------------

  function onWellSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    submitting(form, async () => {
      if (!form.reportValidity()) return;
      const employee = state.employee;
      const body = { employee_id: employee.employee_id, well_from: $("well-from").value };
      tell("", "Registrerar friskanmälan …");
      let answer;
      try {
        answer = await api("POST", "v1/reports/well", { body, form });
      } catch (error) {
        tell("error", failure("Kunde inte registrera friskanmälan", error));
        return;
      }
      resetSickForm();
      await afterChange();
      tell(
        "ok",
        `Friskanmälan registrerad för ${employee.name}, frisk från och med ` +
          `${body.well_from}. Period-id: ${answer.spell_id}`,
      );
      $("search-query").focus();
    });
  }

  // ---- corrections and retractions --------------------------------------------------------

  const CORRECTABLE = [
    "absence_type",
    "sick_from",
    "well_from",
    "degree_percent",
    "reason_category",
    "reason_visibility",
    "work_related",
    "expected_return",
    "followup_on",
  ];

  function spellById(spellId) {
    return state.spells.find((s) => s.spell_id === spellId);
  }

  function onSpellAction(event) {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const spell = spellById(button.dataset.spellId);
    if (!spell) return;
    if (button.dataset.action === "correct") openCorrection(spell);
    else openRetraction(spell);
  }

  function openCorrection(spell) {
    const form = $("correct-form");
    form.reset();
    pendingKeys.delete(form);
    form.dataset.spellId = spell.spell_id;
    $("correct-type").value = spell.absence_type;
    $("correct-sick-from").value = spell.sick_from;
    $("correct-well-from").value = spell.well_from || "";
    $("correct-degree").value = spell.degree_percent;
    $("correct-reason").value = spell.reason_category || "";
    $("correct-visibility").value = spell.reason_visibility;
    $("correct-work-related").checked = spell.work_related;
    $("correct-expected-return").value = spell.expected_return || "";
    $("correct-followup").value = spell.followup_on || "";
    $("correct-heading").textContent = `Rätta perioden från ${spell.sick_from}`;
    clear("correct-message");
    $("correct-dialog").showModal();
    $("correct-type").focus();
  }

  function correctedValues(form) {
    const data = new FormData(form);
    return {
      absence_type: data.get("absence_type"),
      sick_from: data.get("sick_from"),
      well_from: dateOrNull(data.get("well_from")),
      degree_percent: Number(data.get("degree_percent")),
      reason_category: data.get("reason_category") || null,
      reason_visibility: data.get("reason_visibility"),
      work_related: data.get("work_related") === "on",
      expected_return: dateOrNull(data.get("expected_return")),
      followup_on: dateOrNull(data.get("followup_on")),
    };
  }

  // Only what changed is sent: the API changes exactly the fields it is given.
  function changesOf(spell, values) {
    const changes = {};
    for (const name of CORRECTABLE) {
      if (values[name] !== spell[name]) changes[name] = values[name];
    }
    return changes;
  }

  function onCorrectSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    submitting(form, async () => {
      if (!form.reportValidity()) return;
      const spell = spellById(form.dataset.spellId);
      const changes = changesOf(spell, correctedValues(form));
      if (Object.keys(changes).length === 0) {
        say("correct-message", "error", "Inget är ändrat: ändra något eller välj Avbryt.");
        return;
      }
      const body = { why: $("correct-why").value.trim(), ...changes };
      const path = `v1/spells/${encodeURIComponent(spell.spell_id)}/correct`;
      try {
        await api("POST", path, { body, form });
      } catch (error) {
        say("correct-message", "error", failure("Kunde inte spara rättelsen", error));
        return;
      }
      $("correct-dialog").close();
      await afterChange();
      tell("ok", `Rättelsen av perioden från ${spell.sick_from} är sparad.`);
    });
  }

  function openRetraction(spell) {
    const form = $("retract-form");
    form.reset();
    pendingKeys.delete(form);
    form.dataset.spellId = spell.spell_id;
    const type = ABSENCE_LABELS[spell.absence_type] || spell.absence_type;
    $("retract-what").textContent =
      `${state.employee.name}: ${type.toLowerCase()} från ${spell.sick_from}` +
      (spell.well_from ? `, frisk från ${spell.well_from}.` : ", pågående.");
    clear("retract-message");
    $("retract-dialog").showModal();
    $("retract-why").focus();
  }

  function onRetractSubmit(event) {
    event.preventDefault();
    const form = event.currentTarget;
    submitting(form, async () => {
      if (!form.reportValidity()) return;
      const spell = spellById(form.dataset.spellId);
      const body = { why: $("retract-why").value.trim() };
      const path = `v1/spells/${encodeURIComponent(spell.spell_id)}/retract`;
      try {
        await api("POST", path, { body, form });
      } catch (error) {
        say("retract-message", "error", failure("Kunde inte återkalla perioden", error));
        return;
      }
      $("retract-dialog").close();
      await afterChange();
      tell("ok", `Perioden från ${spell.sick_from} är återkallad.`);
    });
  }

  // ---- today's follow-up calls ------------------------------------------------------------

  async function loadFollowups() {
    let calls;
    try {
      calls = await api("GET", "v1/followups");
    } catch (error) {
      say("followups-summary", "error", failure("Kunde inte hämta uppföljningssamtalen", error));
      return;
    }
    renderFollowups(calls);
  }

  function followupSummary(calls) {
    if (calls.length === 0) return "Inga uppföljningssamtal i dag.";
    const done = calls.filter((c) => c.outcome).length;
    return `${calls.length} samtal i dag, ${done} klara.`;
  }

  function followupItem(call) {
    const inputId = `outcome-${call.spell_id}`;
    const type = (ABSENCE_LABELS[call.absence_type] || call.absence_type).toLowerCase();
    const where = call.well_from
      ? `frisk från ${call.well_from}`
      : `${type} sedan ${call.sick_from}`;
    const done = call.done_at
      ? el("span", { className: "badge closed" }, `Klart ${clockTime(call.done_at)}`)
      : el("span", { className: "badge open" }, "Att ringa");
    return el(
      "li",
      { className: "followup", dataset: { spellId: call.spell_id } },
      el(
        "div",
        { className: "followup-who" },
        el(
          "button",
          { type: "button", className: "link", dataset: { employeeId: call.employee_id } },
          call.name,
        ),
        call.phone ? el("a", { href: `tel:${call.phone}` }, call.phone) : null,
        el("span", { className: "result-meta" }, `${call.workplace_name} · ${where}`),
        done,
      ),
      el(
        "form",
        { className: "outcome-form inline", dataset: { spellId: call.spell_id }, novalidate: true },
        el(
          "label",
          { for: inputId },
          "Utfall",
          el("span", { className: "visually-hidden" }, ` för ${call.name}`),
        ),
        el("input", {
          id: inputId,
          name: "outcome",
          type: "text",
          maxlength: 2000,
          required: true,
          value: call.outcome || "",
        }),
        el("button", { type: "submit" }, "Spara utfall"),
        el("div", { className: "message", role: "status", "aria-live": "polite" }),
      ),
    );
  }

  function renderFollowups(calls) {
    say("followups-summary", "", followupSummary(calls));
    $("followup-list").replaceChildren(...calls.map(followupItem));
    $("followup-list").calls = new Map(calls.map((c) => [c.employee_id, c]));
  }

  function onOutcomeSubmit(event) {
    const form = event.target;
    if (!form.matches("form.outcome-form")) return;
    event.preventDefault();
    submitting(form, async () => {
      const outcome = form.elements.outcome.value.trim();
      const region = form.querySelector(".message");
      if (!outcome) {
        say(region, "error", "Skriv vad samtalet ledde till.");
        form.elements.outcome.focus();
        return;
      }
      const path = `v1/spells/${encodeURIComponent(form.dataset.spellId)}/followup`;
      try {
        await api("POST", path, { body: { outcome }, form });
      } catch (error) {
        say(region, "error", failure("Kunde inte spara utfallet", error));
        return;
      }
      const spellId = form.dataset.spellId;
      await loadFollowups();
      const selector = `form[data-spell-id="${CSS.escape(spellId)}"]`;
      const saved = $("followup-list").querySelector(selector);
      if (saved) {
        say(saved.querySelector(".message"), "ok", "Utfallet är sparat.");
        saved.elements.outcome.focus();
      }
      if (state.employee) await loadSpells();
    });
  }

  function onFollowupClick(event) {
    const button = event.target.closest("button.link");
    if (!button) return;
    const call = $("followup-list").calls.get(button.dataset.employeeId);
    openEmployee({
      employee_id: call.employee_id,
      name: call.name,
      phone: call.phone,
      workplace_name: call.workplace_name,
    });
  }

  // ---- keyboard ---------------------------------------------------------------------------

  function isTyping(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function onGlobalKeys(event) {
    if (event.key === "/" && !isTyping(event.target) && !$("workspace").hidden) {
      if (document.querySelector("dialog[open]")) return;
      event.preventDefault();
      $("search-query").focus();
      $("search-query").select();
    }
  }

  function onCtrlEnter(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  }

  // ---- wiring -----------------------------------------------------------------------------

  function wire() {
    $("search-form").addEventListener("submit", onSearch);
    $("search-results").addEventListener("click", onResultClick);
    $("search-section").addEventListener("keydown", onResultKeys);
    $("sick-form").addEventListener("submit", onSickSubmit);
    $("sick-form").addEventListener("focusin", refreshSickDefaults);
    $("sick-from").addEventListener("change", onSickFromChange);
    $("sick-followup").addEventListener("input", () => {
      state.followupTouched = true;
    });
    $("sick-note").addEventListener("keydown", onCtrlEnter);
    $("well-form").addEventListener("submit", onWellSubmit);
    $("spells-body").addEventListener("click", onSpellAction);
    $("correct-form").addEventListener("submit", onCorrectSubmit);
    $("retract-form").addEventListener("submit", onRetractSubmit);
    for (const button of document.querySelectorAll("[data-close-dialog]")) {
      button.addEventListener("click", () => button.closest("dialog").close());
    }
    $("followups-refresh").addEventListener("click", loadFollowups);
    $("followup-list").addEventListener("submit", onOutcomeSubmit);
    $("followup-list").addEventListener("click", onFollowupClick);
    document.addEventListener("keydown", onGlobalKeys);
    window.setInterval(refreshSickDefaults, 60_000);
  }

  function start() {
    wire();
    ({ signOut } = window.Halso.signInFlow({
      key: TOKEN_KEY,
      check,
      show,
      hide,
      failure,
      farewell: "Du är utloggad.",
    }));
  }

  start();
})();
