// What the crisis dashboard and the manager's page share: the token, the API, Swedish dates and
// numbers, and how a withheld figure looks. Plain script under a strict CSP (default-src
// 'self'): nothing inline, all text set with textContent.
"use strict";

window.Halso = (() => {
  const TIME_ZONE = "Europe/Stockholm";
  const SUPPRESSED_TEXT = "<5";
  const SUPPRESSED_TITLE = "färre än 5 eller för liten grupp";

  const STATUS_HINTS = {
    0: "ingen kontakt med servern",
    401: "inloggningen saknas eller gäller inte längre",
    403: "din inloggning har inte behörighet till den här sidan",
    404: "hittades inte",
    422: "frågan godtogs inte",
  };

  const $ = (id) => document.getElementById(id);

  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "className") node.className = value;
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function say(region, kind, text) {
    const node = typeof region === "string" ? $(region) : region;
    node.classList.remove("ok", "error");
    if (kind) node.classList.add(kind);
    node.textContent = text;
  }

  // ---- Swedish dates and numbers ----------------------------------------------------------

  const isoFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: TIME_ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  });
  const timeFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: TIME_ZONE,
    hour: "2-digit",
    minute: "2-digit",
  });
  const longDate = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "UTC", // the API's dates are calendar days; noon UTC is the same day anywhere
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
  });
  const integer = new Intl.NumberFormat("sv-SE", { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat("sv-SE", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });

  function today() {
    return isoFormat.format(new Date());
  }

  function clockNow() {
    return timeFormat.format(new Date());
  }

  function addDays(isoDate, days) {
    const moment = new Date(`${isoDate}T12:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + days);
    return moment.toISOString().slice(0, 10);
  }

  function daysBetween(first, last) {
    return Math.round((Date.parse(`${last}T12:00:00Z`) - Date.parse(`${first}T12:00:00Z`)) / 864e5);
  }

  function dateInWords(isoDate) {
    return longDate.format(new Date(`${isoDate}T12:00:00Z`));
  }

  // A withheld figure is marked, never left blank or shown as 0: blank reads as "no data" and
  // 0 as "nobody", and both would be wrong.
  function figure(value, { decimals = false } = {}) {
    if (value === null || value === undefined) {
      return el(
        "abbr",
        { className: "suppressed", title: SUPPRESSED_TITLE, dataset: { suppressed: "true" } },
        SUPPRESSED_TEXT,
      );
    }
    return document.createTextNode((decimals ? oneDecimal : integer).format(value));
  }

  // ---- the token: from #token= or pasted, kept only in this tab ----------------------------

  function session(key) {
    return {
      takeFromAddress() {
        const params = new URLSearchParams(window.location.hash.slice(1));
        const token = params.get("token");
        if (!token) return;
        sessionStorage.setItem(key, token);
        // Out of the address bar, the history and any bookmark.
        window.history.replaceState(null, "", window.location.pathname + window.location.search);
      },
      get: () => sessionStorage.getItem(key),
      set: (token) => sessionStorage.setItem(key, token),
      forget: () => sessionStorage.removeItem(key),
    };
  }

  // ---- the API ----------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
      this.detail = detail;
    }
  }

  function detailOf(data, response) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && data.detail !== undefined) return JSON.stringify(data.detail);
    return `${response.status} ${response.statusText}`.trim();
  }

  async function getJson(path, token) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
    let response;
    try {
      response = await fetch(path, { headers, cache: "no-store" });
    } catch {
      throw new ApiError(0, "kontrollera nätverket och försök igen");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, detailOf(data, response));
    return data;
  }

  function failure(what, error) {
    if (!(error instanceof ApiError)) {
      return `${what}: oväntat fel i sidan (${error && error.message})`;
    }
    const hint = STATUS_HINTS[error.status];
    return hint ? `${what}: ${hint} – ${error.detail}` : `${what}: ${error.detail}`;
  }

  // A refused token cannot be fixed by retrying: the page asks for another one.
  function isRefusal(error) {
    return error instanceof ApiError && (error.status === 401 || error.status === 403);
  }

  // ---- signing in and out -----------------------------------------------------------------

  // Wires the login form, the logout button and #token=; `show(token)` loads the page's data
  // and `hide()` removes every figure and name from the page.
  function signInFlow({ key, show, hide }) {
    const store = session(key);

    function signOut(message) {
      store.forget();
      hide();
      $("workspace").hidden = true;
      $("logout").hidden = true;
      $("login").hidden = false;
      say("global-message", message ? "error" : "", message || "");
      $("token-input").focus();
    }

    function signIn(token) {
      $("login").hidden = true;
      $("workspace").hidden = false;
      $("logout").hidden = false;
      say("global-message", "", "");
      show(token);
    }

    $("login-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token-input").value.trim();
      if (!token) {
        say("global-message", "error", "Klistra in en inloggningsnyckel först.");
        return;
      }
      store.set(token);
      $("token-input").value = "";
      signIn(token);
    });
    $("logout").addEventListener("click", () => signOut(""));

    store.takeFromAddress();
    const token = store.get();
    if (token) signIn(token);
    else signOut("");
    return { signOut };
  }

  return {
    $,
    el,
    say,
    today,
    clockNow,
    addDays,
    daysBetween,
    dateInWords,
    figure,
    getJson,
    failure,
    isRefusal,
    signInFlow,
    ApiError,
    SUPPRESSED_TEXT,
    SUPPRESSED_TITLE,
  };
})();
