// Fair (lottery) drops on the viewer page: a flash deal whose units are drawn among the taps of
// its entry window. "Enter the draw" with the window's countdown (no aria-live on the ticking
// clock), then entered, then the result the moment `deal_drawn` arrives (won: pay; waitlisted;
// lost). Mounted into #overlays; fed every frame by viewer.js. Server text only via textContent.
"use strict";

window.livebuyDrops = (() => {
  const { $, el } = window.livebuyDom;
  const drops = new Map(); // deal_id -> {deal, node, entered, standing, drawn}

  function serverNow() {
    return window.livebuySocket?.serverNow ? window.livebuySocket.serverNow() : Date.now();
  }

  function showId() {
    return window.livebuy?.state?.showId || "";
  }

  function layer() {
    let node = $("overlays");
    if (!node) {
      node = el("div", { id: "overlays", class: "overlays" });
      (document.querySelector(".stage") || document.body).append(node);
    }
    return node;
  }

  /** How far this viewer's video is behind the live edge (0 without video time). */
  function delay() {
    const program = window.livebuy?.programTime?.();
    return program ? Math.max(serverNow() - program, 0) : 0;
  }

  /** The window as this viewer sees it: it opens when their video reaches the cue and lasts as
   * long as for everyone (the server takes entries a few seconds after its own close). */
  function closesAt(drop) {
    return drop.deal.entries_close_at + delay();
  }

  function onFrame(frame) {
    const data = frame.data || {};
    if (frame.type === "snapshot") {
      for (const deal of data.deals || []) if (deal.mode === "lottery") track(deal, deal.lottery);
    } else if (frame.type === "cue" && data.kind === "deal_start") {
      if (data.mode === "lottery") track({ ...data, started_at: frame.at }, null);
      else remove(data.deal_id);
    } else if (frame.type === "cue" && data.kind === "deal_end") {
      remove(data.deal_id);
    } else if (frame.type === "deal_drawn") {
      const drop = drops.get(data.deal_id);
      if (!drop) return;
      drop.drawn = data;
      refresh(drop);
    } else if (frame.type === "deal_promoted") {
      const drop = drops.get(data.deal_id);
      if (drop?.standing?.status === "waitlisted" || drop?.standing?.status === "won") refresh(drop);
      else if (drop && data.first_come) render(drop);
    }
  }

  function track(deal, lottery) {
    const known = drops.get(deal.deal_id);
    if (known && known.deal.started_at === deal.started_at) return;
    known?.node.remove();
    const drop = { deal, node: null, entered: false, standing: null, drawn: null, opened: false };
    drops.set(deal.deal_id, drop);
    if (lottery && lottery.phase !== "entries") {
      drop.drawn = lottery;
      drop.opened = true;
      refresh(drop);
    }
  }

  function remove(dealId) {
    const drop = drops.get(dealId);
    if (!drop) return;
    drop.node?.remove();
    drops.delete(dealId);
  }

  function build(drop) {
    const node = el("section", { class: "drop", "data-deal-id": drop.deal.deal_id, "aria-label": "Fair drop: enter the draw" });
    const head = el("div", { class: "drop-head" });
    head.append(
      el("strong", { class: "drop-name" }, `Fair drop: ${drop.deal.product?.name || drop.deal.product_id}`),
      // The ticking clock is never announced: screen readers hear the status line instead.
      el("span", { class: "drop-clock", "aria-live": "off" }),
    );
    const enter = el("button", { type: "button", class: "drop-enter" }, "Enter the draw");
    enter.addEventListener("click", () => join(drop));
    const pay = el("button", { type: "button", class: "drop-pay", hidden: "" }, "Pay now");
    pay.addEventListener("click", () => payWon(drop));
    node.append(
      head,
      el("p", { class: "drop-rules" }, `${drop.deal.units} at ${window.livebuyShop.money(drop.deal.deal_price)}: tap during the window, winners are drawn at random when it closes.`),
      enter,
      el("p", { class: "drop-status", role: "status" }),
      pay,
    );
    layer().append(node);
    return node;
  }

  function say(drop, text) {
    const status = drop.node?.querySelector(".drop-status");
    if (status && status.textContent !== text) status.textContent = text;
  }

  async function join(drop) {
    const button = drop.node.querySelector(".drop-enter");
    button.disabled = true;
    try {
      await window.livebuyShop.api("POST", `/api/shows/${encodeURIComponent(showId())}/deals/${encodeURIComponent(drop.deal.deal_id)}/entries`);
      drop.entered = true;
      say(drop, "You're in the draw. Good luck! Results when the window closes.");
    } catch (error) {
      button.disabled = false;
      say(drop, window.livebuyWords.sentence(error.code, error.message));
    }
    render(drop);
  }

  /** Ask the server where this viewer stands (after the draw, or a promotion). */
  async function refresh(drop) {
    if (!drop.node) drop.node = build(drop);
    try {
      drop.standing = await window.livebuyShop.api("GET", `/api/shows/${encodeURIComponent(showId())}/deals/${encodeURIComponent(drop.deal.deal_id)}/entries/me`);
    } catch (error) {
      drop.standing = null;
    }
    render(drop);
  }

  function resultText(drop) {
    const standing = drop.standing;
    const drawn = drop.drawn;
    switch (standing?.status) {
      case "won":
        return standing.pay_by ? `You won! Pay by ${new Date(standing.pay_by).toLocaleTimeString()} to keep it.` : "You won, and it's paid. Enjoy!";
      case "waitlisted":
        return "You're on the waitlist: if a winner doesn't pay, you're next.";
      case "lost":
        return standing.reason ? "Your reservation ended: the unit went to the next in line." : "Not this time: you were not drawn. Thanks for entering!";
      default:
        return drawn ? `The draw is done: ${drawn.entries} entered, ${Array.isArray(drawn.winners) ? drawn.winners.length : drawn.winners} won.` : "";
    }
  }

  function render(drop) {
    if (!drop.node) return;
    const enter = drop.node.querySelector(".drop-enter");
    const pay = drop.node.querySelector(".drop-pay");
    const open = !drop.drawn && serverNow() < closesAt(drop);
    drop.node.classList.toggle("drop-won", drop.standing?.status === "won");
    drop.node.classList.toggle("drop-lost", drop.standing?.status === "lost");
    enter.hidden = !open || drop.entered;
    pay.hidden = !(drop.standing?.status === "won" && drop.standing.pay_by);
    if (drop.drawn) say(drop, resultText(drop));
    else if (!open) say(drop, drop.entered ? "Entries closed: drawing the winners…" : "Entries are closed.");
    tick(drop);
  }

  function tick(drop) {
    const clock = drop.node?.querySelector(".drop-clock");
    if (!clock) return;
    const left = drop.drawn ? 0 : Math.max(closesAt(drop) - serverNow(), 0);
    const text = drop.drawn ? "drawn" : left > 0 ? `${Math.ceil(left / 1000)} s` : "closed";
    if (clock.textContent !== text) clock.textContent = text;
  }

  async function payWon(drop) {
    const shop = window.livebuyShop;
    try {
      const order = await shop.api("GET", `/api/orders/${encodeURIComponent(drop.standing.order_id)}`);
      const profile = shop.loadProfile() || (await shop.askProfile());
      if (!profile) return;
      const paid = await shop.payOrder(order, profile, order.lines.map((line) => line.name).join(", "));
      if (paid) shop.toast("Paid: it's yours.");
    } catch (error) {
      shop.toast(window.livebuyWords.sentence(error.code, error.message));
    }
    await refresh(drop);
  }

  // The window opens for this viewer when their video reaches the cue (like the deal's card).
  setInterval(() => {
    const program = window.livebuy?.programTime?.() ?? serverNow();
    for (const drop of drops.values()) {
      if (!drop.opened && program >= drop.deal.started_at) {
        drop.opened = true;
        drop.node = build(drop);
        render(drop);
      } else if (drop.node) {
        if (!drop.drawn && !drop.node.querySelector(".drop-enter").hidden && serverNow() >= closesAt(drop)) render(drop);
        tick(drop);
      }
    }
  }, 250);

  return { onFrame, drops };
})();
