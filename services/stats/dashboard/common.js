// What the crisis dashboard and the manager's page share beyond the base every page loads
// first (halsosupport/web_static/base.js, window.Halso): long Swedish dates and numbers, how
// a withheld figure looks, and how the stats API's refusals read. Plain script under a strict
// CSP (default-src 'self'): nothing inline, all text set with textContent.
"use strict";

(() => {
  const { el } = window.Halso;
  const SUPPRESSED_TEXT = "<5";
  const SUPPRESSED_TITLE = "färre än 5 eller för liten grupp";

  // ---- Swedish dates and numbers ----------------------------------------------------------

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

  function clockNow() {
    return window.Halso.timeOfDay(new Date());
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

  Object.assign(window.Halso, {
    clockNow,
    daysBetween,
    dateInWords,
    figure,
    failure: window.Halso.failureWith({
      403: "din inloggning har inte behörighet till den här sidan",
      422: "frågan godtogs inte",
    }),
    SUPPRESSED_TEXT,
    SUPPRESSED_TITLE,
  });
})();
