"use strict";
// The console's poll and quiz control: start one (after a confirmation) with the existing live
// cue endpoint, see live counts (hidden ones too) and a quiz's answer, close early, see the final
// result and the number of winners. Mounted into the desk by one script tag.
(() => {
  const TOKEN_KEY = "livebuy.producerToken";
  const REFRESH_MS = 1000;
  const { $, el } = window.livebuyDom;

  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const showId = () => $("show")?.value || null;

  function buildPanel() {
    const panel = el("section", { class: "panel", "aria-labelledby": "polls-heading", id: "polls-panel" });
    panel.append(el("h2", { id: "polls-heading" }, "Polls and quizzes"));
    const form = el("form", { id: "poll-form" });
    const field = (label, input) => {
      const row = el("label", { class: "row" }, label);
      row.append(input);
      return row;
    };
    form.append(
      field("Question ", el("input", { id: "poll-question", maxlength: "200", required: "" })),
      field("Options, one a line (2–5) ", el("textarea", { id: "poll-options", rows: "3", required: "" })),
      field("Seconds ", el("input", { id: "poll-seconds", type: "number", min: "1", max: "3600", value: "30", required: "" })),
      field("Hide results until close ", el("input", { id: "poll-hide", type: "checkbox" })),
      field("Quiz: correct option (1–5, empty for a poll) ", el("input", { id: "poll-correct", type: "number", min: "1", max: "5" })),
      field("Quiz prize (€, optional) ", el("input", { id: "poll-prize", type: "number", min: "0", step: "0.01" })),
    );
    const start = el("button", { type: "submit", class: "primary" }, "Start");
    form.append(start);
    panel.append(form, el("p", { id: "poll-result", class: "result", role: "status", "aria-live": "polite" }));
    panel.append(el("ul", { id: "poll-list", class: "on-air" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      startPoll();
    });
    return panel;
  }

  function cueFromForm() {
    const options = $("poll-options").value.split("\n").map((line) => line.trim()).filter(Boolean);
    const seconds = Number($("poll-seconds").value);
    const pollId = `p-${Date.now().toString(36)}`;
    const base = { poll_id: pollId, question: $("poll-question").value.trim(), options, hide_results_until_close: $("poll-hide").checked };
    const correct = $("poll-correct").value;
    if (correct === "") return { kind: "poll", ...base, duration_ms: seconds * 1000 };
    const prize = $("poll-prize").value;
    return {
      kind: "quiz",
      ...base,
      correct_option: Number(correct) - 1,
      time_limit_ms: Math.min(60, seconds) * 1000,
      ...(prize === "" ? {} : { prize: { amount: Math.round(Number(prize) * 100), currency: "EUR" } }),
    };
  }

  async function request(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Error(answer?.error?.message || `HTTP ${response.status}`);
    return answer;
  }

  async function startPoll() {
    const cue = cueFromForm();
    const what = `${cue.kind === "quiz" ? "quiz" : "poll"} "${cue.question}" with ${cue.options.length} options`;
    if (!window.confirm(`Start the ${what} for every viewer now?`)) return;
    try {
      await request("POST", `/api/shows/${encodeURIComponent(showId())}/cues`, { cue });
      $("poll-result").textContent = `Started the ${what}.`;
      refresh();
    } catch (error) {
      $("poll-result").textContent = `Not started: ${error.message}`;
    }
  }

  async function closePoll(pollId) {
    try {
      await request("POST", `/api/shows/${encodeURIComponent(showId())}/cues`, { cue: { kind: "poll_close", poll_id: pollId } });
      $("poll-result").textContent = `Closed ${pollId}; the final result follows.`;
      refresh();
    } catch (error) {
      $("poll-result").textContent = `Not closed: ${error.message}`;
    }
  }

  /** Who gets the deals: distinct viewers who took part vs won, and from how many addresses. */
  function reportLine(report, won) {
    const winners = won && report.distinct_winners !== null ? ` · ${report.distinct_winners} ${won}` : "";
    return `${report.entered} distinct viewers took part${winners} · ${report.addresses} addresses`;
  }

  function renderPoll({ poll, results, report }) {
    const item = el("li", { "data-poll-id": poll.poll_id });
    const counts = results.counts || [];
    const lines = poll.options.map((option, index) => {
      const mark = results.correct_option === index ? " ✓" : "";
      return `${option}${mark}: ${counts[index] ?? 0}`;
    });
    const state = results.final ? "final" : "open";
    item.append(el("strong", {}, `${poll.kind} · ${poll.question} (${state}, ${results.total})`), el("div", {}, lines.join(" · ")));
    if (results.final && poll.kind === "quiz") item.append(el("div", {}, `${results.correct_count} correct answers win the prize`));
    item.append(el("div", { class: "game-report" }, reportLine(report, poll.kind === "quiz" ? "answered correctly" : null)));
    if (!results.final) {
      const close = el("button", { type: "button" }, "Close now");
      close.addEventListener("click", () => closePoll(poll.poll_id));
      item.append(close);
    }
    return item;
  }

  async function refresh() {
    const list = $("poll-list");
    if (!list || !token() || !showId() || $("desk").hidden) return;
    try {
      const polls = await request("GET", `/api/shows/${encodeURIComponent(showId())}/polls`);
      list.replaceChildren(...polls.reverse().map(renderPoll));
    } catch {
      // Signed out or the server is away: the console's own status line says so.
    }
  }

  $("desk")?.append(buildPanel());
  setInterval(refresh, REFRESH_MS);
})();
