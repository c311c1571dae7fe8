"use strict";
// Live polls and quizzes on the viewer page: a card in #overlays with one 44 px button per option,
// the viewer's choice highlighted, live bars from the aggregated `poll_results` frames, a
// countdown on the video's program clock (the clock the server judges answers by) and the final
// result (a quiz: right or wrong). The countdown is NOT in a live region: only the opening and
// the final result are spoken, through one polite status line.
window.livebuyPolls = (() => {
  const { el } = window.livebuyDom;
  const shop = window.livebuyShop;
  // A final result stays on screen this long, then the card goes.
  const KEEP_FINAL_MS = 15000;
  const polls = new Map(); // poll_id -> {poll, results, mine, final, finalShownAt}
  const early = new Map(); // poll_id -> results that arrived before the video revealed the cue
  let layer = null;
  let status = null;

  /** The video's program time (what the viewer sees), or the wall clock without video. */
  function programNow() {
    const now = window.livebuy ? window.livebuy.programTime() : null;
    return now === null ? Date.now() : now;
  }

  function mount() {
    layer = document.getElementById("overlays");
    if (!layer) return false;
    status = el("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
    layer.append(status);
    return true;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function open(poll, results) {
    const entry = {
      poll,
      results: results || { total: 0, counts: poll.hide_results_until_close ? null : poll.options.map(() => 0) },
      mine: null,
      final: null,
      pendingFinal: null,
      finalShownAt: null,
      closedShown: false,
    };
    const known = early.get(poll.poll_id);
    if (known && known.opened_at === poll.opened_at) applyResults(entry, known);
    early.delete(poll.poll_id);
    polls.set(poll.poll_id, entry);
    say(`${poll.kind === "quiz" ? "Quiz" : "Poll"}: ${poll.question}`);
    render();
  }

  function onSnapshot(list) {
    for (const part of list || []) {
      const { results, ...poll } = part;
      const entry = polls.get(poll.poll_id);
      if (!entry || entry.poll.opened_at !== poll.opened_at) open(poll, results);
      else applyResults(entry, results);
    }
    render();
  }

  /** A `poll`, `quiz` or `poll_close` cue, revealed when the video reached its `at`. */
  function onCue(frame) {
    const cue = frame.data;
    if (cue.kind === "poll_close") {
      const entry = polls.get(cue.poll_id);
      if (entry) entry.poll.closes_at = Math.min(entry.poll.closes_at, cue.closes_at);
      render();
      return;
    }
    open({ ...cue, opened_at: frame.at }, null);
  }

  function applyResults(entry, data) {
    if (data.final) {
      // Shown when the video reaches the close (`at`), like every other moment of the show.
      entry.pendingFinal = data;
    } else if (!entry.final && data.total >= entry.results.total) {
      entry.results = data;
    }
  }

  function onResults(frame) {
    const data = { ...frame.data, at: frame.at };
    const entry = polls.get(data.poll_id);
    if (!entry || entry.poll.opened_at !== data.opened_at) {
      early.set(data.poll_id, data);
      return;
    }
    applyResults(entry, data);
    render();
  }

  async function vote(entry, option) {
    if (entry.mine !== null || entry.final) return;
    entry.mine = option;
    render();
    const url = `/api/shows/${encodeURIComponent(window.livebuy.state.showId)}/polls/${encodeURIComponent(entry.poll.poll_id)}/votes`;
    try {
      await shop.api("POST", url, { option, program_ms: Math.round(programNow()) });
    } catch (error) {
      // Voted already (another tab): the choice stays locked; anything else frees the buttons.
      if (error.code !== "already_voted") entry.mine = null;
      shop.toast(window.livebuyWords.sentence(error.code, "Your vote did not count."));
    }
    render();
  }

  function secondsLeft(entry) {
    return Math.max(0, Math.ceil((entry.poll.closes_at - programNow()) / 1000));
  }

  function outcome(entry) {
    const { poll, final } = entry;
    if (poll.kind !== "quiz") {
      return el("p", { class: "poll-outcome" }, `Final result · ${final.total} votes`);
    }
    const answer = poll.options[final.correct_option];
    if (entry.mine === null) return el("p", { class: "poll-outcome" }, `The answer: ${answer}`);
    if (entry.mine === final.correct_option) {
      const prize = poll.prize ? ` You win ${shop.money(poll.prize)}.` : "";
      return el("p", { class: "poll-outcome right" }, `Right!${prize}`);
    }
    return el("p", { class: "poll-outcome wrong" }, `Not this time: the answer was ${answer}.`);
  }

  function renderCard(entry) {
    const { poll, results, final } = entry;
    const shown = final || results;
    const card = el("section", { class: "poll-card", "data-poll-id": poll.poll_id, "aria-label": poll.kind === "quiz" ? "Quiz" : "Poll" });
    card.append(el("h2", {}, poll.question));
    const meta = el("p", { class: "poll-meta" });
    const total = el("span", { class: "poll-total" }, `${shown.total} ${poll.kind === "quiz" ? "answers" : "votes"}`);
    const timer = el("span", { class: "poll-timer", "aria-live": "off" }, final ? "closed" : `${secondsLeft(entry)} s`);
    meta.append(total, timer);
    card.append(meta);
    const list = el("ul", { class: "poll-options" });
    const closed = Boolean(final) || programNow() > poll.closes_at;
    poll.options.forEach((label, option) => {
      const count = shown.counts ? shown.counts[option] : null;
      const share = count === null || shown.total === 0 ? 0 : Math.round((100 * count) / shown.total);
      const button = el("button", {
        type: "button",
        class: "poll-option",
        "data-option": String(option),
        "aria-pressed": entry.mine === option ? "true" : "false",
        disabled: closed || entry.mine !== null ? "" : null,
      });
      if (final && poll.kind === "quiz") {
        if (option === final.correct_option) button.classList.add("correct");
        else if (option === entry.mine) button.classList.add("wrong");
      }
      const bar = el("span", { class: "poll-bar", "aria-hidden": "true" });
      bar.style.width = `${share}%`;
      button.append(bar, el("span", { class: "poll-label" }, label));
      if (count !== null) button.append(el("span", { class: "poll-count" }, `${share}%`));
      button.addEventListener("click", () => vote(entry, option));
      const item = el("li");
      item.append(button);
      list.append(item);
    });
    card.append(list);
    if (final) card.append(outcome(entry));
    return card;
  }

  function render() {
    if (!layer && !mount()) return;
    const old = [...layer.querySelectorAll(".poll-card")];
    const fresh = [...polls.values()].map(renderCard);
    // In place: the cards keep their spot among the other games' overlays (a re-render at the
    // end of the layer would move the card a viewer just tapped away from their thumb).
    if (old.length) old[0].before(...fresh);
    else layer.append(...fresh);
    for (const card of old) card.remove();
  }

  /** Reveal final results the video has reached, tick the timers, drop old finals. */
  function tick() {
    const now = programNow();
    let changed = false;
    for (const [pollId, entry] of polls) {
      if (entry.pendingFinal && entry.pendingFinal.at <= now) {
        entry.final = entry.pendingFinal;
        entry.pendingFinal = null;
        entry.finalShownAt = Date.now();
        changed = true;
        const text = entry.poll.kind === "quiz" ? outcome(entry).textContent : `Final result: ${entry.final.total} votes`;
        say(text);
      } else if (entry.finalShownAt !== null && Date.now() - entry.finalShownAt > KEEP_FINAL_MS) {
        polls.delete(pollId);
        changed = true;
      }
    }
    if (changed) {
      render();
      return;
    }
    // Only the timer text changes each second: no re-render, no announcement.
    for (const entry of polls.values()) {
      if (entry.final || !layer) continue;
      const timer = layer.querySelector(`[data-poll-id="${CSS.escape(entry.poll.poll_id)}"] .poll-timer`);
      const text = `${secondsLeft(entry)} s`;
      if (timer && timer.textContent !== text) timer.textContent = text;
      if (timer && !entry.closedShown && programNow() > entry.poll.closes_at) {
        entry.closedShown = true;
        render();
      }
    }
  }

  setInterval(tick, 250);
  return { onSnapshot, onCue, onResults, get polls() { return polls; } };
})();
