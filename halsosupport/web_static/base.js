// What every page shares: the nurse console (intake, /console), the stats pages (/dashboard,
// /dashboard/manager) and the case pages (cases, /cases) load this before their own script.
// Small DOM helpers, Swedish dates, the bearer token (from #token= or pasted, kept only in this
// tab), the JSON API with readable errors, and signing in and out. Plain script under a strict
// CSP (default-src 'self'): nothing inline, all text set with textContent.
"use strict";

window.Halso = (() => {
  const TIME_ZONE = "Europe/Stockholm";
  // What a status means to the reader; a page adds or rewords its own (see failureWith).
  const STATUS_HINTS = {
    0: "ingen kontakt med servern",
    401: "inloggningen saknas eller gäller inte längre",
    404: "hittades inte",
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

  // ---- dates: the municipality works in Swedish local time --------------------------------

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

  function today() {
    return isoFormat.format(new Date());
  }

  function timeOfDay(moment = new Date()) {
    return timeFormat.format(moment);
  }

  function addDays(isoDate, days) {
    const moment = new Date(`${isoDate}T12:00:00Z`);
    moment.setUTCDate(moment.getUTCDate() + days);
    return moment.toISOString().slice(0, 10);
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

  // `body` is the answer's JSON, if any: a 422 lists the fields it refused under `errors`.
  class ApiError extends Error {
    constructor(status, detail, body = null) {
      super(detail);
      this.status = status;
      this.detail = detail;
      this.body = body;
    }
  }

  function detailOf(data, response) {
    if (data && typeof data.detail === "string") return data.detail;
    if (data && data.detail !== undefined) return JSON.stringify(data.detail);
    return `${response.status} ${response.statusText}`.trim();
  }

  // JSON in and out with the bearer token; any failure is an ApiError (status 0: no answer).
  async function request(path, { token, method = "GET", body, headers = {} } = {}) {
    const sent = { Accept: "application/json", Authorization: `Bearer ${token}`, ...headers };
    const init = { method, headers: sent, cache: "no-store" };
    if (body !== undefined) {
      sent["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch {
      throw new ApiError(0, "kontrollera nätverket och försök igen");
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, detailOf(data, response), data);
    return data;
  }

  function getJson(path, token) {
    return request(path, { token });
  }

  // A refused token cannot be fixed by retrying: the page asks for another one.
  function isRefusal(error) {
    return error instanceof ApiError && (error.status === 401 || error.status === 403);
  }

  // The page's `failure(what, error)`: what failed, what the status means, the server's words.
  function failureWith(hints = {}) {
    const known = { ...STATUS_HINTS, ...hints };
    return (what, error) => {
      if (!(error instanceof ApiError)) {
        return `${what}: oväntat fel i sidan (${error && error.message})`;
      }
      const hint = known[error.status];
      return hint ? `${what}: ${hint} – ${error.detail}` : `${what}: ${error.detail}`;
    };
  }

  // ---- signing in and out -----------------------------------------------------------------

  // Wires the login form, the logout button and #token=. `check(token)`, when given, runs
  // before the page is shown: what it throws signs out, worded by `failure`. `show(token)`
  // loads the page's data and `hide()` removes every figure and name from the page.
  function signInFlow({ key, show, hide, check = null, failure = failureWith(), farewell = "" }) {
    const store = session(key);
    let current = null; // the token being checked or signed in with

    function signOut(message) {
      current = null;
      store.forget();
      hide();
      $("workspace").hidden = true;
      $("logout").hidden = true;
      $("login").hidden = false;
      say("global-message", message ? "error" : "", message || "");
      $("token-input").focus();
    }

    async function signIn(token) {
      current = token;
      if (check) {
        try {
          await check(token);
        } catch (error) {
          // The page may have signed out already, in its own words (a 401 on the way).
          if (current === token) signOut(failure("Kunde inte logga in", error));
          return;
        }
      }
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
    $("logout").addEventListener("click", () => signOut(farewell));

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
    timeOfDay,
    addDays,
    session,
    ApiError,
    request,
    getJson,
    isRefusal,
    failureWith,
    signInFlow,
  };
})();
