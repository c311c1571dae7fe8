// What the viewer page tells the server about what it showed, for the producer's funnel.
// reportCardSeen(socket, cueId): call it when the page reveals the card of a pin cue; it sends
// one `card_seen` frame per cue per page (docs/protocol.md, "Card views"). `socket` is a
// WebSocket or a livebuySocket link (its current socket is used). Answers whether it sent.
"use strict";

window.livebuySignals = (() => {
  const reported = new Set();

  function reportCardSeen(socket, cueId) {
    const target = socket && typeof socket === "object" && "socket" in socket ? socket.socket : socket;
    if (typeof cueId !== "string" || !cueId || reported.has(cueId)) return false;
    // Not connected now: nothing is sent, and a later call for the same cue may still report it.
    if (!target || target.readyState !== WebSocket.OPEN) return false;
    target.send(JSON.stringify({ type: "card_seen", data: { cue_id: cueId } }));
    reported.add(cueId);
    return true;
  }

  return { reportCardSeen };
})();
