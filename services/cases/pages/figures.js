// "Uppföljning per månad": SKR's monthly evaluation over the caller's cases, since start and
// for the last calendar month, as /v1/cases/figures counts them.
"use strict";

(() => {
  const { $, el, say } = window.Halso;
  const C = window.Cases;
  const ROWS = [
    ["offered", "Erbjudet stöd"],
    ["declined", "Avböjt stöd"],
    ["accepted", "Accepterat stöd"],
    ["closed", "Avslutade"],
    ["ongoing", "Pågående"],
  ];
  const decimal = new Intl.NumberFormat("sv-SE", { maximumFractionDigits: 1 });
  let generation = 0;

  const share = (value) => (value === null ? "–" : `${decimal.format(value)} %`);

  function render(found) {
    const since = found.since_start;
    const month = found.last_month;
    $("figures-caption").textContent =
      `Sedan start ${since.period_start} – ${since.period_end}; senaste månaden ` +
      `${month.period_start} – ${month.period_end}`;
    const cells = (period, key) => [
      el("td", { className: "num", dataset: { period, field: key } }, String(found[period][key])),
      el("td", { className: "num", dataset: { period, field: `${key}_share` } }, share(found[period].share_of_offered_percent[key])),
    ];
    const weeks = (period) => {
      const value = found[period].average_weeks_per_case;
      return el("td", { className: "num", dataset: { period, field: "average_weeks" } }, value === null ? "–" : decimal.format(value));
    };
    $("figures-body").replaceChildren(
      ...ROWS.map(([key, label]) =>
        el("tr", { dataset: { row: key } }, el("th", { scope: "row" }, label), ...cells("since_start", key), ...cells("last_month", key)),
      ),
      el(
        "tr",
        { dataset: { row: "average_weeks" } },
        el("th", { scope: "row" }, "Veckor per avslutat ärende (snitt)"),
        weeks("since_start"),
        el("td"),
        weeks("last_month"),
        el("td"),
      ),
    );
  }

  async function load(token) {
    const mine = ++generation;
    say("global-message", "", "Hämtar siffrorna …");
    try {
      const found = await window.Halso.getJson("../v1/cases/figures", token);
      if (mine !== generation) return;
      render(found);
      say("global-message", "", "");
    } catch (error) {
      if (mine !== generation) return;
      const text = C.failure("Kunde inte hämta siffrorna", error);
      if (error.status === 401) signOut(text);
      else say("global-message", "error", text);
    }
  }

  function hide() {
    generation += 1;
    $("figures-body").replaceChildren();
    $("figures-caption").textContent = "";
  }

  const signOut = C.signIn({ show: load, hide });
})();
