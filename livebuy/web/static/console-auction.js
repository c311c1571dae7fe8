// The console's auction control: start an auction (after a confirmation), see bids live, cancel.
// Self-contained: its own section in the console and its own socket for the show's frames.
(() => {
  const { el } = window.livebuyDom;
  const section = el("section", { class: "panel auction-console", "aria-label": "Auction" });
  section.innerHTML = `
    <h2>Auction</h2>
    <form class="auction-start">
      <label>Auction id <input name="auction_id" value="lot-1" pattern="[a-z0-9][a-z0-9_-]*" required></label>
      <label>Auction SKU <input name="sku" value="VLM-SCRF-SKY" required></label>
      <label>Start price (cents) <input name="start" type="number" value="1000" min="0" required></label>
      <label>Auction length (s) <input name="seconds" type="number" value="30" min="10" max="60" required></label>
      <label>Auction mode <select name="mode"><option value="extend">extend</option><option value="sudden_death">sudden death</option></select></label>
      <button type="submit">Start auction…</button>
      <button type="button" class="danger auction-cancel">Cancel auction</button>
    </form>
    <p class="auction-live" role="status"></p>
    <ol class="auction-bids"></ol>`;
  (document.querySelector("main") || document.body).append(section);
  const form = section.querySelector(".auction-start");
  const live = section.querySelector(".auction-live");
  const bids = section.querySelector(".auction-bids");
  let link = null;

  const state = () => window.livebuyConsole.state;

  async function cue(body) {
    const response = await fetch(`/api/shows/${encodeURIComponent(state().showId)}/cues`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${state().token}` },
      body: JSON.stringify({ cue: body }),
    });
    const answer = await response.json().catch(() => null);
    live.textContent = response.ok ? `sent as seq ${answer.seq}` : answer?.error?.message || `HTTP ${response.status}`;
    listen();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const text = `Start auction ${data.get("auction_id")} of ${data.get("sku")} for ${data.get("seconds")} s?`;
    if (!window.confirm(text)) return;
    cue({
      kind: "auction",
      auction_id: data.get("auction_id"),
      sku: data.get("sku"),
      start_price: { amount: Number(data.get("start")), currency: "EUR" },
      ladder: [[0, 100], [10000, 500], [50000, 1000]],
      duration_ms: Number(data.get("seconds")) * 1000,
      mode: data.get("mode"),
    });
  });
  section.querySelector(".auction-cancel").addEventListener("click", () => {
    const auctionId = new FormData(form).get("auction_id");
    if (window.confirm(`Cancel auction ${auctionId}?`)) cue({ kind: "auction_cancel", auction_id: auctionId });
  });

  function listen() {
    if (link || !state().showId) return;
    link = window.livebuySocket.create(state().showId, {
      resume: () => ({}),
      onFrame: (frame) => {
        const auctions = frame.type === "snapshot" ? frame.data.auctions || [] : frame.type === "auction" ? [frame.data] : [];
        for (const auction of auctions) {
          live.textContent = `${auction.auction_id}: ${auction.status}, ${auction.bids} bids, ${auction.price} ${auction.currency}`;
          if (auction.bids > 0 && frame.type === "auction" && auction.status === "open") {
            bids.prepend(el("li", {}, `${auction.price} — ${auction.leader_name || auction.leader_handle}${auction.extended ? " (+time)" : ""}`));
            while (bids.children.length > 20) bids.lastChild.remove();
          }
        }
      },
    });
    link.connect();
  }
})();
