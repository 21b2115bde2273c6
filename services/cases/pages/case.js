// One case: its status and history, its documentation and what was shared, and one form per
// step its status allows (the conversation's only for whoever the API says may document it).
// Every write goes to /v1/cases/{id}/…; what the API refuses (403, 409, 422) is shown in Swedish
// beside the form. The API audits every read of the documentation.
"use strict";

(() => {
  const { $, el, say } = window.Halso;
  const C = window.Cases;
  const caseId = new URLSearchParams(window.location.search).get("id") || "";
  const base = `../v1/cases/${encodeURIComponent(caseId)}`;
  // Which steps each status allows (services/cases/domain.py, TRANSITIONS).
  const STEPS = {
    booking: ["open", "booked"],
    conversation: ["open", "booked", "held", "plan_running"],
    plan: ["held", "plan_running"],
    note: ["open", "booked", "held", "plan_running", "closed"],
    consent: ["open", "booked", "held", "plan_running"],
    sharing: ["open", "booked", "held", "plan_running"],
    decline: ["open", "booked", "held"],
    close: ["held", "plan_running"],
  };
  const KIND = { omtankesamtal: "Omtankesamtal", trepartssamtal: "Trepartssamtal" };
  // Who documents each conversation (services/cases/domain.py, may_document).
  const DOCUMENTED_BY = {
    omtankesamtal: "Omtankesamtalet dokumenteras av chefen.",
    trepartssamtal: "Trepartssamtalet dokumenteras av rehabsamordnaren.",
  };
  const state = { token: null, generation: 0, current: null, headings: null };

  // ---- reading a form --------------------------------------------------------------------

  function setPath(target, path, value) {
    let node = target;
    path.forEach((key, i) => {
      if (i === path.length - 1) node[key] = value;
      else node = node[key] ??= /^\d+$/.test(path[i + 1]) ? [] : {};
    });
  }

  // The named fields as the API's JSON: dotted names nest, empty fields are left out (the API
  // names a missing one), lists are one per line, times are sent with their offset.
  function collect(form) {
    const body = {};
    for (const field of form.elements) {
      if (!field.name) continue;
      let value = field.type === "checkbox" ? field.checked : field.value.trim();
      if (value === "" || value === false) continue;
      if (field.dataset.list) value = value.split("\n").map((v) => v.trim()).filter(Boolean);
      else if (field.dataset.number) value = Number(value);
      else if (field.type === "datetime-local") value = new Date(value).toISOString();
      setPath(body, field.name.split("."), value);
    }
    return body;
  }

  function labelOf(form, name) {
    const field = form.querySelector(`[name="${name}"]`);
    const label = field && form.querySelector(`label[for="${field.id}"]`);
    return label ? label.textContent.trim() : null;
  }

  async function submit(form, what, path, body, method = "POST") {
    const region = form.querySelector(".message");
    say(region, "", "Sparar …");
    try {
      await window.Halso.request(path, { token: state.token, method, body });
    } catch (error) {
      say(region, "error", C.failure(what, error, (p) => labelOf(form, p.join("."))));
      if (error.status === 401) signOut(C.failure(what, error));
      return false;
    }
    say(region, "ok", `${what}: sparat.`);
    await load();
    return true;
  }

  // ---- the plan's rows -------------------------------------------------------------------

  const ROWS = {
    sub_goals: [
      ["text", "Delmål", "text"],
      ["due_on", "Uppnått senast", "date"],
    ],
    activities: [
      ["description", "Aktivitet", "text"],
      ["owner_id", "Ansvarig", "text"],
      ["due_on", "Datum", "date"],
      ["done", "Genomförd", "checkbox"],
    ],
    follow_ups: [
      ["on", "Datum", "date"],
      ["purpose", "Syfte", "text"],
      ["held", "Hållet", "checkbox"],
    ],
  };
  let rowCount = 0;

  function addRow(list, values = {}) {
    const n = $(`rows-${list}`).children.length;
    const row = el("div", { className: "row", dataset: { doneOn: values.done_on || null } });
    for (const [key, label, type] of ROWS[list]) {
      const id = `row-${++rowCount}`;
      const checked = type === "checkbox" && (key === "done" ? !!values.done_on : !!values[key]);
      const input = el("input", {
        id,
        type,
        name: `${list}.${n}.${key}`,
        value: type === "checkbox" ? "true" : values[key] || "",
        checked,
      });
      row.append(el("div", { className: type === "checkbox" ? "check" : null }, el("label", { for: id }, label), input));
    }
    $(`rows-${list}`).append(row);
  }

  function planBody(form) {
    const plan = collect(form);
    const rows = (list) => (plan[list] || []).filter(Boolean);
    const doneOn = [...$("rows-activities").children].map((r) => r.dataset.doneOn);
    plan.sub_goals = rows("sub_goals");
    plan.activities = rows("activities").map(({ done, ...a }, i) => ({
      ...a,
      id: `a${i + 1}`,
      done_on: done ? doneOn[i] || window.Halso.today() : null,
    }));
    plan.follow_ups = rows("follow_ups").map((f, i) => ({ ...f, id: `f${i + 1}` }));
    return plan;
  }

  function fillPlan(plan) {
    for (const list of Object.keys(ROWS)) $(`rows-${list}`).replaceChildren();
    const form = $("plan-form");
    if (!plan) {
      form.elements.start_on.value = window.Halso.today();
      for (const list of Object.keys(ROWS)) addRow(list);
      return;
    }
    form.elements.start_on.value = plan.start_on;
    form.elements.end_on.value = plan.end_on;
    form.elements["goal.text"].value = plan.goal.text;
    form.elements["goal.due_on"].value = plan.goal.due_on;
    for (const list of Object.keys(ROWS)) {
      for (const values of plan[list]) addRow(list, values);
      if (!plan[list].length) addRow(list);
    }
  }

  // ---- showing the case ------------------------------------------------------------------

  function history(c) {
    const items = [[c.opened_on, `Ärendet öppnades (${C.ruleName(c.rule_id)})`]];
    if (c.booked_at) items.push([c.booked_at.slice(0, 10), `Samtal bokat till ${moment(c.booked_at)}`]);
    for (const talk of c.conversations) {
      items.push([talk.held_on, `${KIND[talk.kind] || talk.kind} hållet och dokumenterat`]);
    }
    if (c.accepted_on) items.push([c.accepted_on, "Medarbetaren tackade ja till stöd"]);
    for (const note of c.notes) items.push([note.recorded_at.slice(0, 10), `Anteckning: ${note.heading_sv}`]);
    if (c.action_plan) items.push([c.action_plan.start_on, "Handlingsplanen börjar"]);
    for (const consent of c.consents) {
      items.push([consent.given_on, `Samtycke givet: ${C.PARTIES[consent.party] || consent.party}`]);
      if (consent.revoked_on) {
        items.push([consent.revoked_on, `Samtycke återkallat: ${C.PARTIES[consent.party] || consent.party}`]);
      }
    }
    for (const shared of c.sharings) {
      items.push([shared.shared_on, `Uppgifter delade med ${C.PARTIES[shared.party] || shared.party}`]);
    }
    if (c.declined_on) {
      items.push([c.declined_on, `Stöd avböjt: ${C.DECLINE_REASONS[c.decline_reason] || c.decline_reason}`]);
    }
    if (c.closed_on) items.push([c.closed_on, `Ärendet avslutat: ${C.OUTCOMES[c.outcome] || c.outcome}`]);
    items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return items.map(([day, text]) => el("li", {}, el("span", { className: "day" }, day), ` ${text}`));
  }

  const shortDate = new Intl.DateTimeFormat("sv-SE", { timeZone: "Europe/Stockholm", dateStyle: "short" });

  function moment(iso) {
    const at = new Date(iso);
    return `${shortDate.format(at)} kl. ${window.Halso.timeOfDay(at)}`;
  }

  // The filled fields of a saved form, under the labels of the form that wrote them.
  function shownFields(form, values, prefix = "") {
    const rows = [];
    for (const [key, value] of Object.entries(values)) {
      const name = prefix + key;
      if (value && typeof value === "object" && !Array.isArray(value)) {
        rows.push(...shownFields(form, value, `${name}.`));
      } else if (value !== "" && value !== null && !(Array.isArray(value) && !value.length)) {
        const label = labelOf(form, name) || name;
        rows.push(el("dt", {}, label), el("dd", {}, Array.isArray(value) ? value.join(", ") : String(value)));
      }
    }
    return rows;
  }

  function showPlan(plan) {
    if (!plan) return [];
    return [
      el("h3", {}, "Handlingsplan"),
      el("p", { id: "plan-period" }, `${plan.start_on} – ${plan.end_on}`),
      el("p", { id: "plan-goal" }, `Mål: ${plan.goal.text} (senast ${plan.goal.due_on})`),
      plan.sub_goals.length
        ? el("ul", { id: "plan-sub-goals" }, ...plan.sub_goals.map((g) => el("li", {}, `Delmål: ${g.text} (senast ${g.due_on})`)))
        : null,
      el(
        "ul",
        { id: "plan-activities" },
        ...plan.activities.map((a) =>
          el("li", {}, `Aktivitet: ${a.description} – ansvarig ${a.owner_id}, ${a.due_on}${a.done_on ? `, genomförd ${a.done_on}` : ""}`),
        ),
      ),
      el(
        "ul",
        { id: "plan-follow-ups" },
        ...plan.follow_ups.map((f) => el("li", {}, `Uppföljningsmöte ${f.on}${f.purpose ? `: ${f.purpose}` : ""}${f.held ? " (hållet)" : ""}`)),
      ),
    ];
  }

  function showConsents(c) {
    $("consents-empty").hidden = c.consents.length > 0;
    $("consents-table").hidden = c.consents.length === 0;
    const today = window.Halso.today();
    $("consents-body").replaceChildren(
      ...c.consents.map((consent) => {
        const party = C.PARTIES[consent.party] || consent.party;
        const name = consent.party_name ? ` (${consent.party_name})` : "";
        let validity = `till och med ${consent.valid_until}`;
        if (consent.revoked_on) validity = `återkallat ${consent.revoked_on}`;
        else if (consent.valid_until < today) validity = `gick ut ${consent.valid_until}`;
        const revoke = consent.revoked_on
          ? null
          : el("button", { type: "button", className: "secondary", "aria-label": `Återkalla samtycket för ${party}` }, "Återkalla");
        if (revoke) revoke.addEventListener("click", () => revokeConsent(consent.consent_id, party));
        return el(
          "tr",
          { dataset: { consentId: consent.consent_id, party: consent.party } },
          el("th", { scope: "row" }, party + name),
          el("td", {}, consent.given_on),
          el("td", { dataset: { field: "validity" } }, validity),
          el("td", {}, revoke),
        );
      }),
    );
  }

  // The parties the employee consented to, for the sharing form; the API decides whether the
  // consent still holds on the day.
  function showSharings(c) {
    $("sharings-empty").hidden = c.sharings.length > 0;
    $("sharings-table").hidden = c.sharings.length === 0;
    $("sharings-body").replaceChildren(
      ...c.sharings.map((shared) =>
        el(
          "tr",
          { dataset: { party: shared.party } },
          el("th", { scope: "row" }, C.PARTIES[shared.party] || shared.party),
          el("td", {}, shared.shared_on),
          el("td", { className: "shared-what" }, shared.what),
          el("td", {}, shared.recorded_by),
        ),
      ),
    );
    const parties = [...new Set(c.consents.map((consent) => consent.party))];
    const select = $("sh-party");
    const chosen = select.value;
    select.replaceChildren(...parties.map((party) => el("option", { value: party }, C.PARTIES[party] || party)));
    if (parties.includes(chosen)) select.value = chosen;
    $("sharing-no-consent").hidden = parties.length > 0;
    $("sharing-form").hidden = parties.length === 0;
  }

  // Only the conversation the caller may document gets its form; anyone else is told who does.
  function showConversationStep(c) {
    const kind = c.conversation_kind;
    const mine = c.may_document.includes(kind);
    $("conversation-heading").textContent = mine
      ? `Dokumentera ${(KIND[kind] || kind).toLowerCase()}`
      : KIND[kind] || kind;
    $("conversation-submit").textContent = `Spara ${(KIND[kind] || "samtalet").toLowerCase()}`;
    $("conversation-form").hidden = !mine;
    $("conversation-guide").hidden = !mine;
    $("conversation-by").hidden = mine;
    $("conversation-by").textContent = mine ? "" : DOCUMENTED_BY[kind] || "";
  }

  function render(c) {
    state.current = c;
    const employee = c.employee_name || c.employee_id;
    $("case-heading").textContent = `Ärende: ${C.ruleName(c.rule_id)} för ${employee}`;
    $("case-employee").textContent = employee;
    $("case-rule").textContent = C.ruleName(c.rule_id);
    $("case-status").replaceChildren(C.statusBadge(c.status));
    $("case-due").textContent = c.due_on;
    $("case-owner").textContent = `${C.OWNERS[c.owner_role] || c.owner_role}${c.owner_id ? ` (${c.owner_id})` : ""}`;
    $("case-booked").textContent = c.booked_at ? moment(c.booked_at) : "–";
    $("case-withdrawn").hidden = !c.trigger_withdrawn;
    $("history").replaceChildren(...history(c));
    $("case-body").hidden = false;

    $("plan-shown").replaceChildren(...showPlan(c.action_plan).filter(Boolean));
    $("conversations-shown").replaceChildren(
      ...c.conversations.map((talk) =>
        el(
          "details",
          {},
          el("summary", {}, `${KIND[talk.kind] || talk.kind} ${talk.held_on} (${talk.author_id})`),
          el("dl", { className: "facts" }, ...shownFields($("conversation-form"), talk.form)),
        ),
      ),
    );
    $("notes-shown").replaceChildren(
      ...c.notes.map((note) =>
        el(
          "details",
          {},
          el("summary", {}, `${note.heading_sv} ${note.recorded_at.slice(0, 10)} (${note.author_id})`),
          el("dl", { className: "facts" }, ...shownFields($("note-form"), note.note)),
        ),
      ),
    );
    $("documentation").hidden = !(c.action_plan || c.conversations.length || c.notes.length);

    for (const [step, statuses] of Object.entries(STEPS)) {
      $(`step-${step}`).hidden = !statuses.includes(c.status);
    }
    showConversationStep(c);
    fillPlan(c.action_plan);
    showConsents(c);
    showSharings(c);
  }

  async function load() {
    const mine = ++state.generation;
    if (!caseId) {
      say("global-message", "error", "Inget ärende valt: öppna det från Mina ärenden.");
      return;
    }
    try {
      if (!state.headings) {
        state.headings = await window.Halso.getJson("../v1/note-headings", state.token);
        $("n-heading").replaceChildren(
          ...Object.entries(state.headings).map(([value, label]) => el("option", { value }, label)),
        );
      }
      const found = await window.Halso.getJson(base, state.token);
      if (mine !== state.generation) return;
      render(found);
      say("global-message", "", "");
    } catch (error) {
      if (mine !== state.generation) return;
      const text = C.failure("Kunde inte hämta ärendet", error);
      if (error.status === 401) signOut(text);
      else say("global-message", "error", text);
    }
  }

  async function revokeConsent(consentId, party) {
    say("consent-message", "", "Återkallar …");
    try {
      await window.Halso.request(`${base}/consents/${encodeURIComponent(consentId)}/revoke`, {
        token: state.token,
        method: "POST",
        body: {},
      });
    } catch (error) {
      say("consent-message", "error", C.failure("Kunde inte återkalla samtycket", error));
      return;
    }
    say("consent-message", "ok", `Samtycket för ${party} är återkallat.`);
    await load();
  }

  // ---- the forms -------------------------------------------------------------------------

  function wire() {
    const options = (id, labels) =>
      $(id).replaceChildren(...Object.entries(labels).map(([value, label]) => el("option", { value }, label)));
    options("s-party", C.PARTIES);
    options("d-reason", C.DECLINE_REASONS);
    $("close-outcomes").append(
      ...Object.entries(C.OUTCOMES).map(([value, label], i) =>
        el(
          "div",
          { className: "check" },
          el("input", { type: "radio", id: `o-${value}`, name: "outcome", value, checked: i === 0 }),
          el("label", { for: `o-${value}` }, label),
        ),
      ),
    );
    $("c-held_on").value = window.Halso.today();
    $("s-given_on").value = window.Halso.today();
    $("sh-shared_on").value = window.Halso.today();
    for (const button of document.querySelectorAll("[data-add]")) {
      button.addEventListener("click", () => addRow(button.dataset.add));
    }

    const on = (id, handler) =>
      $(id).addEventListener("submit", (event) => {
        event.preventDefault();
        handler(event.target);
      });
    on("booking-form", (f) => submit(f, "Bokningen", `${base}/booking`, collect(f)));
    on("conversation-form", async (f) => {
      const kind = state.current.conversation_kind;
      if (await submit(f, KIND[kind] || "Samtalet", `${base}/conversations`, { ...collect(f), kind })) {
        f.reset();
        $("c-held_on").value = window.Halso.today();
      }
    });
    on("plan-form", (f) => submit(f, "Handlingsplanen", `${base}/plan`, planBody(f), "PUT"));
    on("note-form", async (f) => {
      if (await submit(f, "Anteckningen", `${base}/notes`, collect(f))) f.reset();
    });
    on("consent-form", (f) => submit(f, "Samtycket", `${base}/consents`, collect(f)));
    on("sharing-form", async (f) => {
      if (await submit(f, "Delningen", `${base}/sharings`, collect(f))) {
        $("sh-what").value = "";
        $("sh-shared_on").value = window.Halso.today();
      }
    });
    on("decline-form", (f) => submit(f, "Avböjt stöd", `${base}/decline`, collect(f)));
    on("close-form", (f) => submit(f, "Avslutet", `${base}/close`, collect(f)));
  }

  function hide() {
    state.generation += 1;
    state.token = null;
    state.current = null;
    $("case-body").hidden = true;
    $("documentation").hidden = true;
    const shown = ["history", "plan-shown", "conversations-shown", "notes-shown", "consents-body", "sharings-body", "sh-party"];
    for (const id of shown) {
      $(id).replaceChildren();
    }
    for (const step of Object.keys(STEPS)) $(`step-${step}`).hidden = true;
  }

  function show(token) {
    state.token = token;
    load();
  }

  document.addEventListener("DOMContentLoaded", wire);
  const signOut = C.signIn({ show, hide });
})();
