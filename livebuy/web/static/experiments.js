// A/B tests of the product card (docs/analytics.md, "A/B tests"). The show's snapshot lists its
// experiments; each tests one product's card. A viewer session sees one variant, the same every
// time: the same hash as the server's (livebuy/analytics/experiments.py): FNV-1a 32-bit over the
// UTF-8 of "<experiment id>:<session id>", MurmurHash3's 32-bit finaliser, variant
// floor(h * n / 2^32). Only a session has a variant: a page about to draw a tested card starts a
// guest session if it has none, and authenticates the socket before reporting the card seen.
// load(experiments) on each snapshot; stateOf(productId) for a card's render key;
// apply(card, productId) when a card is drawn; whenReady() resolves once variants are known.
"use strict";

window.livebuyExperiments = (() => {
  let byProduct = new Map(); // product_id -> experiment
  let sessionId = null;
  let ready = null;
  let redraw = () => {};
  let noSession = false; // starting a session failed: control cards, nothing to assign

  function assignmentHash(text) {
    let hash = 0x811c9dc5;
    for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193);
    hash ^= hash >>> 16;
    hash = Math.imul(hash, 0x85ebca6b);
    hash ^= hash >>> 13;
    hash = Math.imul(hash, 0xc2b2ae35);
    hash ^= hash >>> 16;
    return hash >>> 0;
  }

  /** The variant of an experiment this session sees (null before the session is known). */
  function variantOf(experiment) {
    if (noSession) return experiment.variants[0];
    if (!sessionId) return null;
    const share = Math.floor((assignmentHash(`${experiment.id}:${sessionId}`) * experiment.variants.length) / 2 ** 32);
    return experiment.variants[share];
  }

  function storedSessionId() {
    // The token is "<session id>.<signature>" (docs/protocol.md): the id is its first part.
    const stored = localStorage.getItem("livebuy.session");
    return stored ? JSON.parse(stored).token.split(".")[0] : null;
  }

  /** The show's experiments (from each snapshot); `onReady` redraws once variants are known. */
  function load(experiments, onReady) {
    byProduct = new Map((experiments || []).map((experiment) => [experiment.product_id, experiment]));
    redraw = onReady;
    if (!sessionId && byProduct.size) sessionId = storedSessionId();
  }

  /**
   * Resolves once this session's variants are known and the socket carries the session (a
   * tested card is reported only then). A first-time viewer gets a guest session here, when a
   * tested card is first drawn: pages that never show one start none.
   */
  function whenReady() {
    if (!ready) {
      ready = (async () => {
        const token = await window.livebuyShop.sessionToken();
        await window.livebuyChat.ensureAuthed();
        const fresh = !sessionId;
        sessionId = token.split(".")[0];
        if (fresh) redraw();
      })().catch(() => {
        // Without a session the tested cards are drawn as their control, counted as anonymous.
        noSession = true;
        redraw();
      });
    }
    return ready;
  }

  function has(productId) {
    return byProduct.has(productId);
  }

  /** What a card of the product looks like now: "" (untested), "pending" or the variant name. */
  function stateOf(productId) {
    const experiment = byProduct.get(productId);
    if (!experiment) return "";
    return variantOf(experiment)?.name || "pending";
  }

  /** Draw a freshly rendered card of the product as this session's variant. */
  function apply(card, productId) {
    const experiment = byProduct.get(productId);
    if (!experiment) return;
    const variant = variantOf(experiment);
    card.dataset.experiment = experiment.id;
    card.dataset.variant = variant ? variant.name : "pending";
    if (!variant) {
      whenReady();
      return;
    }
    card.classList.toggle("card-compact", variant.layout === "compact");
    if (variant.show_bought_count === false) card.querySelector(".velocity")?.remove();
  }

  return { load, has, stateOf, apply, whenReady, assignmentHash };
})();
