// The console's red-packet control: start a rain (after a confirmation), watch its live counts
// (polled from GET /api/shows/{id}/red-packets) and its result. Hooked in with one script tag;
// reads the console's token and show from window.livebuyConsole. Text only via textContent.
"use strict";

(() => {
  const POLL_MS = 1000;
  const { $, el } = window.livebuyDom;

  function field(name, label, value, attrs = {}) {
    const input = el("input", { id: `rp-${name}`, name, value: String(value), ...attrs });
    const wrap = el("label", { for: `rp-${name}` }, `${label} `);
    wrap.append(input);
    return wrap;
  }

  function panel() {
    const form = el("form", { id: "rp-form", class: "row" });
    form.append(
      field("budget", "Budget (minor units)", 500000, { type: "number", min: 1 }),
      field("currency", "Currency", "EUR", { pattern: "[A-Z]{3}" }),
      field("count", "Packets", 1000, { type: "number", min: 1 }),
      field("min", "Min", 100, { type: "number", min: 1 }),
      field("max", "Max", 2000, { type: "number", min: 1 }),
      field("seconds", "Seconds", 10, { type: "number", min: 1, max: 120 }),
      el("button", { type: "submit", class: "primary" }, "Start rain"),
    );
    const section = el("section", { class: "panel", "aria-labelledby": "rp-heading" });
    section.append(el("h2", { id: "rp-heading" }, "Red-packet rain"), form, el("p", { id: "rp-result", role: "status" }), el("ul", { id: "rp-rains" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      start(form).catch((error) => ($("rp-result").textContent = error.message));
    });
    return section;
  }

  async function start(form) {
    const console = window.livebuyConsole.state;
    const value = (name) => form.elements[name].value;
    const cue = {
      kind: "red_packets",
      rain_id: `rain-${Date.now().toString(36)}`,
      budget: Number(value("budget")),
      currency: value("currency"),
      count: Number(value("count")),
      min_amount: Number(value("min")),
      max_amount: Number(value("max")),
      duration_ms: Number(value("seconds")) * 1000,
    };
    if (!window.confirm(`Start a rain of ${cue.count} packets, ${cue.budget} ${cue.currency} in total, for ${value("seconds")} s?`)) return;
    const response = await fetch(`/api/shows/${encodeURIComponent(console.showId)}/cues`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${console.token}` },
      body: JSON.stringify({ cue }),
    });
    const answer = await response.json().catch(() => null);
    $("rp-result").textContent = response.ok ? `Rain ${cue.rain_id} started.` : `Refused: ${answer?.error?.message || response.status}`;
  }

  async function poll() {
    const console = window.livebuyConsole?.state;
    if (!console?.token || !console.showId || !$("rp-rains")) return;
    const response = await fetch(`/api/shows/${encodeURIComponent(console.showId)}/red-packets`, { headers: { authorization: `Bearer ${console.token}` } });
    if (!response.ok) return;
    const rains = await response.json();
    $("rp-rains").replaceChildren(
      ...rains.map((r) => el("li", {}, `${r.rain_id}: ${r.granted}/${r.count} grabbed, ${r.granted_amount}/${r.budget} ${r.currency}${r.ends_at <= Date.now() ? " (over)" : ""} · ${r.report.entered} viewers tried, ${r.report.distinct_winners} won, ${r.report.addresses} addresses`)),
    );
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("desk")?.append(panel());
    setInterval(() => poll().catch(() => {}), POLL_MS);
  });
})();
