// The console's giveaway control, in its own panel: start a giveaway (with a confirmation), see
// live entries, close early, see the winners and the draw's proof. Polls the giveaway's public
// document (GET /api/shows/{id}/giveaways/{giveaway_id}); server text only via textContent.
"use strict";

(() => {
  const POLL_MS = 1000;
  const { $, el } = window.livebuyDom;
  let current = null; // {showId, giveawayId}
  let timer = null;

  function panel() {
    const section = el("section", { class: "panel", "aria-labelledby": "giveaway-heading" });
    const form = el("form", { id: "giveaway-form", class: "giveaway-form" });
    const field = (label, input) => {
      const wrap = el("label", {}, `${label} `);
      wrap.append(input);
      return wrap;
    };
    const kind = el("select", { id: "giveaway-prize-kind" });
    kind.append(el("option", { value: "percent" }, "% off coupon"), el("option", { value: "credit" }, "store credit (EUR cents)"));
    form.append(
      field("Title", el("input", { id: "giveaway-title", required: "", maxlength: "120", value: "Giveaway" })),
      field("Winners", el("input", { id: "giveaway-winners", type: "number", min: "1", max: "10000", value: "3", required: "" })),
      field("Window (s)", el("input", { id: "giveaway-seconds", type: "number", min: "1", max: "3600", value: "60", required: "" })),
      field("Prize", kind),
      field("Value", el("input", { id: "giveaway-value", type: "number", min: "1", value: "20", required: "" })),
      el("button", { type: "submit" }, "Start giveaway"),
    );
    section.append(
      el("h2", { id: "giveaway-heading" }, "Giveaway"),
      form,
      el("p", { id: "giveaway-live", class: "clock" }),
      el("button", { type: "button", id: "giveaway-close", hidden: "" }, "Close early and draw"),
      el("ol", { id: "giveaway-winners-list", "aria-label": "Winners" }),
      el("a", { id: "giveaway-proof", target: "_blank", rel: "noopener", hidden: "" }, "Proof (verify-draw input)"),
      el("p", { id: "giveaway-result", class: "result", role: "status", "aria-live": "polite" }),
    );
    document.querySelector("main").append(section);
    form.addEventListener("submit", start);
    $("giveaway-close").addEventListener("click", closeEarly);
  }

  function token() {
    return sessionStorage.getItem("livebuy.producerToken");
  }

  function say(text, isError = false) {
    const node = $("giveaway-result");
    node.className = isError ? "result error" : "result";
    node.textContent = text;
  }

  async function call(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token()}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Error(answer?.error?.message || `HTTP ${response.status}`);
    return answer;
  }

  async function start(event) {
    event.preventDefault();
    const showId = window.livebuyConsole?.state.showId;
    if (!showId) return;
    const title = $("giveaway-title").value.trim();
    const winners = Number($("giveaway-winners").value);
    const seconds = Number($("giveaway-seconds").value);
    const value = Number($("giveaway-value").value);
    const prize = $("giveaway-prize-kind").value === "credit"
      ? { kind: "credit", amount: value, currency: "EUR" }
      : { kind: "coupon", coupon_kind: "percent", value };
    if (!window.confirm(`Start “${title}”: ${winners} winner(s), ${seconds} s to enter?`)) return;
    const giveawayId = `g-${Date.now().toString(36)}`;
    try {
      await call("POST", `/api/shows/${encodeURIComponent(showId)}/cues`, {
        cue: { kind: "giveaway", giveaway_id: giveawayId, title, prize, winners, duration_ms: seconds * 1000 },
      });
    } catch (error) {
      say(`Giveaway failed: ${error.message}`, true);
      return;
    }
    current = { showId, giveawayId };
    say(`Giveaway ${giveawayId} started.`);
    $("giveaway-winners-list").replaceChildren();
    $("giveaway-proof").hidden = true;
    clearInterval(timer);
    timer = setInterval(poll, POLL_MS);
    poll();
  }

  function url() {
    return `/api/shows/${encodeURIComponent(current.showId)}/giveaways/${encodeURIComponent(current.giveawayId)}`;
  }

  async function poll() {
    if (!current) return;
    let view;
    try {
      view = await call("GET", url());
    } catch {
      return;
    }
    const left = Math.max(0, Math.ceil((view.ends_at - Date.now()) / 1000));
    $("giveaway-close").hidden = view.status !== "open";
    if (view.status !== "closed") {
      $("giveaway-live").textContent = `${view.entries} entered · ${left} s left`;
      return;
    }
    clearInterval(timer);
    $("giveaway-live").textContent = `${view.report.entered} entered · ${view.report.distinct_winners} distinct winners · ${view.report.addresses} addresses`;
    $("giveaway-winners-list").replaceChildren(...view.winners.map((handle) => el("li", {}, handle)));
    const proof = $("giveaway-proof");
    proof.href = url();
    proof.hidden = false;
    say("Winners drawn.");
  }

  async function closeEarly() {
    if (!current || !window.confirm("Close the entries now and draw the winners?")) return;
    try {
      await call("POST", `${url()}/close`);
    } catch (error) {
      say(`Close failed: ${error.message}`, true);
    }
    poll();
  }

  panel();
})();
