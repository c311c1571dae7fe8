// What the viewer page tells the server about what it showed, for the producer's funnel.
// reportCardSeen(socket, cueId, variant): call it when the page reveals the card of a pin cue; it sends
// one `card_seen` frame per cue per page (docs/protocol.md, "Card views"). `socket` is a
// WebSocket or a livebuySocket link (its current socket is used); `variant`, for an A/B-tested
// card, names the variant the page drew (the server counts the one it assigns). Answers whether
// it sent.
// reportSheetOpened(showId, productId): call it when a product's sheet opens; it posts one
// beacon per product per page (POST /api/shows/{id}/funnel/sheets, docs/analytics.md).
"use strict";

window.livebuySignals = (() => {
  const reported = new Set();

  function reportCardSeen(socket, cueId, variant) {
    const target = socket && typeof socket === "object" && "socket" in socket ? socket.socket : socket;
    if (typeof cueId !== "string" || !cueId || reported.has(cueId)) return false;
    // Not connected now: nothing is sent, and a later call for the same cue may still report it.
    if (!target || target.readyState !== WebSocket.OPEN) return false;
    const data = variant ? { cue_id: cueId, variant } : { cue_id: cueId };
    target.send(JSON.stringify({ type: "card_seen", data }));
    reported.add(cueId);
    return true;
  }

  const sheets = new Set();

  function reportSheetOpened(showId, productId) {
    const shop = window.livebuyShop;
    if (!showId || !productId || sheets.has(productId) || !shop) return false;
    sheets.add(productId);
    // Counting never gets in the viewer's way: a failed beacon is dropped.
    shop.api("POST", `/api/shows/${encodeURIComponent(showId)}/funnel/sheets`, { product_id: productId }).catch(() => sheets.delete(productId));
    return true;
  }

  return { reportCardSeen, reportSheetOpened };
})();
