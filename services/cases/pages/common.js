// What the three case pages share beyond the base every page loads first
// (halsosupport/web_static/base.js, window.Halso): the Swedish words for the API's codes, how
// the cases API's refusals read, and the sign-in every page uses (one token for all three).
// Plain script under a strict CSP (default-src 'self'): nothing inline, all text textContent.
"use strict";

(() => {
  const { el } = window.Halso;

  const STATUS = {
    open: "öppet",
    booked: "samtal bokat",
    held: "samtal hållet",
    plan_running: "handlingsplan pågår",
    closed: "avslutat",
    declined: "stöd avböjt",
    withdrawn: "återkallat",
  };
  const RULES = {
    omtankesamtal: "Omtankesamtal",
    trepartssamtal: "Trepartssamtal",
    hr_contact: "Personalspecialisten kontaktar chefen",
    hr_followup: "Uppföljning av omtankesamtal och rehabilitering",
    rehab_investigation: "Rehabiliteringsutredning",
    return_plan_due: "Plan för återgång i arbete",
    rehab_chain_checkpoint: "Rehabiliteringskedjan",
    repeated_absence: "Upprepad korttidsfrånvaro",
    short_spells: "Upprepad korttidsfrånvaro",
  };
  const OWNERS = { manager: "chefen", rehab_coordinator: "rehabsamordnaren" };
  const PARTIES = {
    healthcare: "Hälso- och sjukvården",
    forsakringskassan: "Försäkringskassan",
    employment_service: "Arbetsförmedlingen",
    social_services: "Socialtjänsten",
    other: "Annan",
  };
  const OUTCOMES = {
    back_in_ordinary_work: "Åter i ordinarie arbete",
    adapted_work: "Anpassat arbete",
    referred_on: "Vidare till annan aktör",
  };
  const DECLINE_REASONS = {
    no_need: "Inget behov",
    support_elsewhere: "Får stöd på annat håll (vården, företagshälsan)",
    no_time: "Har inte tid",
    does_not_want: "Vill inte",
    other: "Annat",
  };
  // Pydantic's error types, as a reader of the form would say them.
  const PROBLEMS = {
    missing: "måste fyllas i",
    string_too_short: "är för kort",
    string_too_long: "är för lång",
    too_short: "måste ha minst en rad",
    too_long: "har för många rader",
    date_from_datetime_parsing: "är inget giltigt datum",
    date_parsing: "är inget giltigt datum",
    datetime_from_date_parsing: "är ingen giltig tidpunkt",
    datetime_parsing: "är ingen giltig tidpunkt",
    greater_than_equal: "är för litet eller för tidigt",
    less_than_equal: "är för stort eller för sent",
    int_parsing: "måste vara ett heltal",
    enum: "är inget av de tillåtna valen",
    extra_forbidden: "känns inte igen",
  };

  // The forms' own rules (services/cases/domain.py), in Swedish.
  const RULE_ERRORS = {
    "follow_up_on must not be before held_on": "uppföljningsdatum kan inte vara före samtalet",
    "end_on must not be before start_on": "slutdatum kan inte vara före startdatum",
    "dates before start_on": "har datum före planens startdatum",
    "must not contain NUL": "innehåller otillåtna tecken",
  };

  const ruleName = (id) => RULES[id] || (id.startsWith("bradford_") ? "Upprepad korttidsfrånvaro (Bradfordfaktorn)" : id);

  // The cases API answers "svenska / English": the page shows the Swedish half.
  function swedish(detail) {
    const at = detail.indexOf(" / ");
    return at > 0 ? detail.slice(0, at) : detail;
  }

  const hintsFor = {
    0: "ingen kontakt med servern",
    401: "inloggningen saknas eller gäller inte längre",
    403: "du har inte behörighet",
    404: "finns inte",
    409: "det går inte i ärendets nuvarande läge",
    422: "uppgifterna godtogs inte",
  };

  // The field names of a 422, in the page's own words where the form names them.
  function problemsOf(error, labels) {
    const errors = (error.body && error.body.errors) || [];
    return errors.map((e) => {
      const path = e.loc.filter((p) => p !== "body");
      const name = labels(path) || path.join(" › ") || "formuläret";
      const msg = (e.msg || "").replace(/^Value error, /, "");
      const known = Object.entries(RULE_ERRORS).find(([english]) => msg.startsWith(english));
      const problem = known ? known[1] : PROBLEMS[e.type] || msg;
      return `${name} ${problem}`;
    });
  }

  // "What failed: what the status means – the API's Swedish words", never a blank failure.
  function failure(what, error, labels = () => null) {
    if (!(error instanceof window.Halso.ApiError)) {
      return `${what}: oväntat fel i sidan (${error && error.message})`;
    }
    const hint = hintsFor[error.status] || `fel ${error.status}`;
    const problems = error.status === 422 ? problemsOf(error, labels) : [];
    const detail = problems.length ? problems.join("; ") : swedish(error.detail || "");
    return detail ? `${what}: ${hint} – ${detail}` : `${what}: ${hint}`;
  }

  function statusBadge(status) {
    return el("span", { className: `status status-${status}`, dataset: { status } }, STATUS[status] || status);
  }

  // One sign-in for the three pages: a 401 signs out; a 403 is the page's to show.
  function signIn({ show, hide }) {
    let api = { signOut: () => {} };
    document.addEventListener("DOMContentLoaded", () => {
      api = window.Halso.signInFlow({ key: "halsosupport.cases-token", show, hide });
    });
    return (message) => api.signOut(message);
  }

  window.Cases = {
    STATUS,
    OWNERS,
    PARTIES,
    OUTCOMES,
    DECLINE_REASONS,
    ruleName,
    swedish,
    failure,
    statusBadge,
    signIn,
  };
})();
