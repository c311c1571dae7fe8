// The viewer's giveaway card, mounted into #overlays: enter button, entered state, a countdown
// (not a live region: the seconds tick), the result (won/lost), the winners and a "verify" link
// to the published proof. The entry window is the server's: the countdown runs on serverNow().
"use strict";

window.livebuyGiveaways = (() => {
  const { $, el } = window.livebuyDom;
  const { serverNow } = window.livebuySocket;
  const shop = window.livebuyShop;
  const giveaways = new Map(); // giveaway_id -> {giveaway_id, title, prize, ends_at, entries, status, winners, proof_url, entered, mine}
  let showId = null;

  function prizeText(prize) {
    if (prize.kind === "credit") return `${shop.money(prize.amount, prize.currency)} store credit`;
    if (prize.coupon_kind === "percent") return `${prize.value}% off coupon`;
    return `${shop.money(prize.value, prize.currency)} off coupon`;
  }

  function left(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function say(text) {
    $("giveaway-status").textContent = text;
  }

  function layer() {
    let overlays = $("overlays");
    if (!overlays) {
      overlays = el("div", { id: "overlays", class: "overlays" });
      document.querySelector(".stage").append(overlays);
    }
    return overlays;
  }

  function render() {
    const overlays = layer();
    for (const node of overlays.querySelectorAll(".giveaway")) {
      if (!giveaways.has(node.dataset.giveawayId)) node.remove();
    }
    for (const giveaway of giveaways.values()) {
      let card = overlays.querySelector(`.giveaway[data-giveaway-id="${CSS.escape(giveaway.giveaway_id)}"]`);
      if (!card) {
        card = el("section", { class: "giveaway", "data-giveaway-id": giveaway.giveaway_id, "aria-label": "Giveaway" });
        card.append(
          el("h2", { class: "giveaway-title" }),
          el("p", { class: "giveaway-prize" }),
          el("p", { class: "giveaway-meta", "aria-live": "off" }),
          el("button", { type: "button", class: "giveaway-enter" }, "Enter"),
          el("p", { class: "giveaway-result" }),
          el("ol", { class: "giveaway-winners", "aria-label": "Winners" }),
          el("a", { class: "giveaway-verify", target: "_blank", rel: "noopener", hidden: "" }, "Verify the draw"),
          el("button", { type: "button", class: "giveaway-dismiss", "aria-label": "Close giveaway" }, "×"),
        );
        overlays.append(card);
      }
      const open = giveaway.status === "open";
      card.querySelector(".giveaway-title").textContent = `🎁 ${giveaway.title}`;
      card.querySelector(".giveaway-prize").textContent = `${giveaway.winner_count} × ${prizeText(giveaway.prize)}`;
      const button = card.querySelector(".giveaway-enter");
      button.hidden = !open;
      button.disabled = giveaway.entered;
      button.textContent = giveaway.entered ? "Entered ✓" : "Enter";
      card.querySelector(".giveaway-dismiss").hidden = open;
      const result = card.querySelector(".giveaway-result");
      const winners = card.querySelector(".giveaway-winners");
      if (giveaway.winners) {
        const mine = giveaway.mine;
        if (mine?.won) result.textContent = mine.coupon_code ? `You won! Your code: ${mine.coupon_code}` : "You won!";
        else if (giveaway.entered) result.textContent = "Not this time — thanks for entering.";
        else result.textContent = "Winners drawn.";
        winners.replaceChildren(...giveaway.winners.map((handle) => el("li", {}, handle)));
        const verify = card.querySelector(".giveaway-verify");
        verify.href = giveaway.proof_url;
        verify.hidden = false;
      }
    }
    tick();
  }

  /** The countdown and counts: text changes every second, outside any live region. */
  function tick() {
    for (const giveaway of giveaways.values()) {
      const card = document.querySelector(`.giveaway[data-giveaway-id="${CSS.escape(giveaway.giveaway_id)}"]`);
      if (!card) continue;
      const meta = card.querySelector(".giveaway-meta");
      const remaining = giveaway.ends_at - serverNow();
      const entries = `${giveaway.entries} entered`;
      if (giveaway.status === "open" && remaining > 0) meta.textContent = `${left(remaining)} left · ${entries}`;
      else meta.textContent = giveaway.winners ? `${entries} · ${giveaway.winners.length} won` : `Drawing… · ${entries}`;
    }
  }

  async function enter(giveaway) {
    const path = `/api/shows/${encodeURIComponent(showId)}/giveaways/${encodeURIComponent(giveaway.giveaway_id)}`;
    // Entering needs this session's live socket to the show (the "watching now" rule).
    await window.livebuyChat.ensureAuthed();
    for (let attempt = 0; ; attempt += 1) {
      try {
        await shop.api("POST", `${path}/entries`);
        giveaway.entered = true;
        say(`You entered the giveaway “${giveaway.title}”.`);
        break;
      } catch (error) {
        if (error.code === "already_entered") {
          giveaway.entered = true;
          break;
        }
        // The socket's sign-in may still be on its way: one retry once it has landed.
        if (error.code === "not_eligible" && attempt === 0) {
          await new Promise((resolve) => setTimeout(resolve, 800));
          continue;
        }
        shop.toast(window.livebuyWords.sentence(error.code));
        break;
      }
    }
    render();
  }

  async function fetchMine(giveaway) {
    const path = `/api/shows/${encodeURIComponent(showId)}/giveaways/${encodeURIComponent(giveaway.giveaway_id)}/me`;
    try {
      giveaway.mine = await shop.api("GET", path);
      giveaway.entered = giveaway.mine.entered;
    } catch {
      giveaway.mine = null;
    }
    say(giveaway.mine?.won ? "You won the giveaway!" : `Giveaway “${giveaway.title}”: winners drawn.`);
    render();
  }

  function onSnapshot(id, list) {
    showId = id;
    giveaways.clear();
    for (const view of list || []) {
      giveaways.set(view.giveaway_id, { ...view, proof_url: `/api/shows/${id}/giveaways/${view.giveaway_id}`, entered: false, mine: null });
    }
    render();
    if (localStorage.getItem("livebuy.session")) {
      for (const giveaway of giveaways.values()) fetchMine(giveaway);
    }
  }

  /** A giveaway frame (cue kind `giveaway`, `giveaway_entries`, `giveaway_result`). */
  function onFrame(frame) {
    const data = frame.data;
    if (frame.type === "cue") {
      giveaways.set(data.giveaway_id, {
        ...data,
        winner_count: data.winners,
        winners: null,
        status: "open",
        entries: 0,
        proof_url: `/api/shows/${showId}/giveaways/${data.giveaway_id}`,
        entered: false,
        mine: null,
      });
      say(`Giveaway: ${data.title}. Tap Enter to join.`);
    } else if (frame.type === "giveaway_entries") {
      const giveaway = giveaways.get(data.giveaway_id);
      if (giveaway) giveaway.entries = data.entries;
      tick();
      return;
    } else if (frame.type === "giveaway_result") {
      const giveaway = giveaways.get(data.giveaway_id);
      if (!giveaway) return;
      Object.assign(giveaway, { status: "closed", winners: data.winners, entries: data.entries, proof_url: data.proof_url });
      if (giveaway.entered) fetchMine(giveaway);
      else say(`Giveaway “${giveaway.title}”: winners drawn.`);
    }
    render();
  }

  document.addEventListener("click", (event) => {
    const card = event.target.closest(".giveaway");
    const giveaway = card && giveaways.get(card.dataset.giveawayId);
    if (!giveaway) return;
    if (event.target.closest(".giveaway-enter")) enter(giveaway);
    if (event.target.closest(".giveaway-dismiss")) {
      giveaways.delete(giveaway.giveaway_id);
      render();
    }
  });
  setInterval(tick, 500);

  return { onSnapshot, onFrame, giveaways };
})();
