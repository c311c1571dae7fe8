// Live auctions on the viewer page: price, leader, time left (server clock), quick bids, a max
// bid, and the viewer's own status. Mounted into #overlays; fed every frame by viewer.js.
window.livebuyAuction = (() => {
  const { el } = window.livebuyDom;
  const DEMO_CARD = { card_number: "4242424242424242", expiry_month: 12, expiry_year: 2030, cvc: "123" };
  const auctions = new Map(); // auction_id -> public state (+ product)
  const mine = { handle: null, bid: new Set() };
  let panel = null;
  let shownId = null;

  function overlays() {
    let layer = document.getElementById("overlays");
    if (!layer) {
      layer = el("div", { id: "overlays", class: "overlays" });
      (document.querySelector(".stage") || document.body).append(layer);
    }
    return layer;
  }

  function serverNow() {
    return window.livebuySocket.serverNow();
  }

  function money(amount, currency) {
    return window.livebuyShop.money({ amount, currency });
  }

  function increment(auction, price) {
    let step = auction.ladder[0][1];
    for (const [from, inc] of auction.ladder) if (price >= from) step = inc;
    return step;
  }

  function onFrame(frame) {
    if (frame.type === "snapshot") {
      for (const auction of frame.data.auctions || []) merge(auction);
    } else if (frame.type === "cue" && frame.data.kind === "auction" && !frame.data.refused) {
      const known = auctions.get(frame.data.auction_id);
      if (known) auctions.set(frame.data.auction_id, { ...known, product: frame.data.product });
      else auctions.set(frame.data.auction_id, { pendingProduct: frame.data.product });
    } else if (frame.type === "auction") {
      merge(frame.data);
    } else {
      return;
    }
    render();
  }

  function merge(data) {
    const known = auctions.get(data.auction_id) || {};
    if (known.version !== undefined && known.version >= data.version) return;
    const previousLeader = known.leader_handle;
    const product = data.product || known.product || known.pendingProduct;
    auctions.set(data.auction_id, { ...data, product });
    shownId = data.auction_id;
    if (mine.bid.has(data.auction_id) && data.status === "open" && previousLeader === mine.handle
        && data.leader_handle !== mine.handle) {
      say("You've been outbid");
    }
    if (data.status === "sold" && data.leader_handle === mine.handle && mine.bid.has(data.auction_id)) {
      say("You won! Your card was charged");
    }
  }

  function say(text) {
    if (!panel) return;
    const status = panel.querySelector(".auction-status");
    status.textContent = text;
  }

  function render() {
    const auction = auctions.get(shownId);
    if (!auction || auction.version === undefined) return;
    if (!panel) {
      panel = el("section", { class: "auction", "aria-label": "Live auction", "aria-live": "off" });
      panel.innerHTML = `
        <div class="auction-head"><strong class="auction-name"></strong>
          <span class="auction-clock" title="time left, server clock"></span></div>
        <div class="auction-price"><span class="auction-amount"></span>
          <span class="auction-leader"></span><span class="auction-extended" hidden></span></div>
        <p class="auction-status" role="status" aria-live="polite"></p>
        <div class="auction-quick" role="group" aria-label="Quick bids"></div>
        <form class="auction-max"><label>Max bid <input type="number" min="1" step="1" inputmode="numeric" name="max"></label>
          <button type="submit">Set max</button></form>
        <p class="auction-offset"></p>`;
      panel.querySelector(".auction-max").addEventListener("submit", (event) => {
        event.preventDefault();
        const value = Number(new FormData(event.target).get("max"));
        const digits = fractionDigits(auctions.get(shownId).currency);
        if (value > 0) bid({ max_amount: Math.round(value * 10 ** digits) });
      });
      overlays().append(panel);
    }
    panel.querySelector(".auction-name").textContent = auction.product?.name || auction.sku;
    panel.querySelector(".auction-amount").textContent = money(auction.price, auction.currency);
    panel.querySelector(".auction-leader").textContent = auction.leader_handle
      ? (auction.leader_handle === mine.handle ? "you lead" : `${auction.leader_name || auction.leader_handle} leads`)
      : "no bids yet";
    const extended = panel.querySelector(".auction-extended");
    extended.hidden = !auction.extended;
    extended.textContent = auction.extended ? `+${Math.round(auction.extend_ms / 1000)} s` : "";
    const quick = panel.querySelector(".auction-quick");
    quick.replaceChildren();
    const open = auction.status === "open";
    let amount = auction.min_next;
    for (let i = 0; i < 3 && open; i += 1) {
      const value = amount;
      const button = el("button", { type: "button", class: "auction-bid" }, `Bid ${money(value, auction.currency)}`);
      button.addEventListener("click", () => bid({ amount: value }));
      quick.append(button);
      amount += increment(auction, amount);
    }
    panel.querySelector(".auction-max").hidden = !open;
    if (!open) say(resultText(auction));
    tick();
  }

  function resultText(auction) {
    const price = money(auction.price, auction.currency);
    const me = auction.leader_handle === mine.handle && mine.bid.has(auction.auction_id);
    switch (auction.status) {
      case "closed": return `Closed at ${price}`;
      case "sold": return me ? `You won at ${price}!` : `Sold for ${price}`;
      case "payment_failed": return me ? "Your payment failed: pay from your orders" : "Waiting for the winner's payment";
      case "unsold": return "Not sold";
      case "cancelled": return "Auction cancelled";
      default: return "";
    }
  }

  function fractionDigits(currency) {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
  }

  function tick() {
    const auction = auctions.get(shownId);
    if (!panel || !auction) return;
    const left = auction.status === "open" ? Math.max(auction.ends_at - serverNow(), 0) : 0;
    panel.querySelector(".auction-clock").textContent = `${(left / 1000).toFixed(1)} s`;
    const offset = Math.round(window.livebuySocket.clock.offset);
    panel.querySelector(".auction-offset").textContent = `server clock ${offset >= 0 ? "+" : "−"}${Math.abs(offset)} ms`;
  }

  async function bid(body, retried = false) {
    const auction = auctions.get(shownId);
    const showId = window.livebuy?.state?.showId;
    try {
      const answer = await window.livebuyShop.api("POST", `/api/shows/${showId}/auctions/${auction.auction_id}/bids`, body);
      mine.handle = answer.handle;
      mine.bid.add(auction.auction_id);
      say(answer.status === "leading" ? "You're leading" : "You've been outbid");
      render();
    } catch (error) {
      if (error.code === "payment_method_required" && !retried) {
        await window.livebuyShop.api("PUT", "/api/payment-method", DEMO_CARD);
        return bid(body, true);
      }
      say(error.code === "bid_too_low" ? "Someone bid first: try the next step" : error.message);
    }
    return undefined;
  }

  setInterval(tick, 200);
  return { onFrame, auctions };
})();
