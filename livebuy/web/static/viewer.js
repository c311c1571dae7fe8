// The viewer page: live video, product cards revealed on the video's program clock, resume on
// reconnect. Text from the server is only ever set with textContent, never parsed as HTML.
"use strict";

(() => {
  const SHOW_PATH = /^\/shows\/([a-z0-9][a-z0-9_-]{0,63})\/?$/;

  const state = {
    showId: null,
    show: null,
    epoch: null,
    lastSeq: null,
    pending: [], // cue frames waiting for the video to reach their `at`, in (at, seq) order
    pins: new Map(), // product_id -> product card
    deals: new Map(), // deal_id -> deal
    endedDeals: new Map(), // deal_id -> seq of the deal_end that closed it (it may beat the video)
    countdowns: new Map(), // countdown_id -> countdown
    announcement: null,
    favorites: new Set(),
    shown: new Map(), // product_id -> {product, at}: every product on stage so far in this show
    velocity: new Map(), // product_id -> units bought in the last minute (sales_velocity frames)
    orders: [], // orders this page placed (for people and tests)
    revealed: [], // what was revealed when, for people and tests: {cue_id, seq, at, kind, program}
    video: { mode: "loading", hls: null },
    // The show socket, for people and tests: null while it is down; the URL it last opened.
    get socket() {
      return link ? link.socket : null;
    },
    get socketUrl() {
      return link ? link.url : null;
    },
  };
  let link = null; // the show's websocket link, made once the show is known

  const { $, el } = window.livebuyDom;
  const { setConnection, serverNow } = window.livebuySocket;
  const REDUCED_MOTION = window.matchMedia("(prefers-reduced-motion: reduce)");
  // Seconds left at which a countdown or a deal is announced to screen readers once more.
  const LAST_CALL_S = 10;
  // At or below this many units left (all sizes together), a card says "Only N left".
  const LOW_STOCK = 10;

  const shop = window.livebuyShop;
  const { money, toast } = shop;

  // ---- program clock -------------------------------------------------------------------------

  /** The video's playback program time in ms since the epoch, or null while it is not playing. */
  function programTime() {
    const video = state.video;
    if (video.mode === "hls") {
      const date = video.hls.playingDate;
      return date ? date.getTime() : null;
    }
    if (video.mode === "native") {
      const start = $("video").getStartDate();
      const base = start instanceof Date ? start.getTime() : NaN;
      return Number.isFinite(base) ? base + $("video").currentTime * 1000 : null;
    }
    // Without video, cues play on the wall clock: the show's program clock.
    return video.mode === "none" ? Date.now() : null;
  }

  function noVideo(message) {
    if (state.video.hls) state.video.hls.destroy();
    state.video = { mode: "none", hls: null };
    const note = $("video-note");
    note.textContent = `${message} Products still appear live.`;
    note.hidden = false;
  }

  async function startVideo() {
    const url = `/video/${encodeURIComponent(state.showId)}/index.m3u8`;
    const video = $("video");
    let response;
    try {
      response = await fetch(url, { cache: "no-store" });
    } catch (error) {
      noVideo("The live video cannot be reached.");
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      noVideo(body?.error?.message ? `No video: ${body.error.message}.` : "No live video.");
      return;
    }
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ liveSyncDurationCount: 3, enableWorker: true });
      state.video = { mode: "hls", hls };
      hls.on(window.Hls.Events.ERROR, (_, data) => {
        if (data.fatal) noVideo(`The video stopped (${data.details}).`);
      });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      state.video = { mode: "native", hls: null };
      video.src = url;
    } else {
      noVideo("This browser cannot play HLS video.");
      return;
    }
    video.play().catch(() => toast("Tap the video to start it."));
  }

  // ---- frames --------------------------------------------------------------------------------

  function applySnapshot(frame) {
    const data = frame.data;
    // Buffered cues of another epoch (Redis lost the show's history) belong to a log that is gone;
    // in the same epoch, the ones after the snapshot's seq are still to be revealed.
    const sameEpoch = data.epoch === state.epoch;
    state.show = data.show;
    state.epoch = data.epoch;
    state.lastSeq = frame.seq;
    state.pending = state.pending.filter((pending) => sameEpoch && pending.seq > frame.seq);
    state.pins = new Map(data.pinned.map((pin) => [pin.product_id, pin.product]));
    window.livebuyExperiments.load(data.show.experiments, () => renderCards({ reveal: false }));
    for (const pin of data.pinned) {
      markShown(pin.product, pin.at);
      // Cards already on air when the page joins are revealed now: they count in the funnel too.
      reportSeen(pin.cue_id, pin.product_id);
    }
    state.deals = new Map(data.deals.map((deal) => [deal.deal_id, deal]));
    state.endedDeals.clear();
    state.countdowns = new Map(data.countdowns.map((c) => [c.countdown_id, c]));
    state.announcement = data.announcement ? data.announcement.text : null;
    $("show-title").textContent = data.show.title;
    document.title = `${data.show.title} — livebuy`;
    window.livebuyChat.onSnapshot(data.chat);
    window.livebuyPolls?.onSnapshot(data.polls);
    state.velocity = new Map(Object.entries(data.sales_velocity?.products || {}));
    window.livebuyGiveaways?.onSnapshot(state.showId, data.giveaways);
    if (data.recovered === false) toast("Reconnected: caught up with the show.");
    renderAll({ reveal: false });
  }

  /** Tell the funnel a card was revealed; an A/B-tested one once this session's variant is known. */
  function reportSeen(cueId, productId) {
    const experiments = window.livebuyExperiments;
    if (!experiments.has(productId)) {
      window.livebuySignals.reportCardSeen(link, cueId);
      return;
    }
    experiments.whenReady().then(() => window.livebuySignals.reportCardSeen(link, cueId, experiments.stateOf(productId)));
  }

  function applyCue(frame) {
    const cue = frame.data;
    switch (cue.kind) {
      case "pin":
        state.pins.set(cue.product_id, cue.product);
        markShown(cue.product, frame.at);
        // The producer's funnel counts the viewers this card was actually revealed to.
        reportSeen(cue.cue_id, cue.product_id);
        break;
      case "unpin":
        if (cue.product_id) state.pins.delete(cue.product_id);
        else state.pins.clear();
        break;
      case "countdown":
        state.countdowns.set(cue.countdown_id, {
          countdown_id: cue.countdown_id,
          label: cue.label,
          // The server's end time follows the rehearsal speed; at + duration would not.
          ends_at: cue.ends_at ?? frame.at + cue.duration_ms,
        });
        break;
      case "deal_start":
        // Its deal_end already arrived (a looping show starts the same deal id again later).
        if ((state.endedDeals.get(cue.deal_id) ?? -1) > frame.seq) break;
        state.deals.set(cue.deal_id, {
          ...cue,
          started_at: frame.at,
          ends_at: cue.ends_at ?? (cue.duration_ms ? frame.at + cue.duration_ms : null),
        });
        state.pins.set(cue.product_id, cue.product);
        markShown(cue.product, frame.at);
        break;
      case "deal_end":
        // Already applied on arrival (endDeal); revealed here for the record.
        state.deals.delete(cue.deal_id);
        break;
      case "announce":
        state.announcement = cue.text;
        break;
      case "announce_clear":
        state.announcement = null;
        break;
      case "poll":
      case "quiz":
      case "poll_close":
        window.livebuyPolls?.onCue(frame);
        break;
      default:
        return;
    }
    state.revealed.push({
      cue_id: cue.cue_id,
      seq: frame.seq,
      at: frame.at,
      kind: cue.kind,
      program: programTime(),
    });
    renderAll();
  }

  /** Remember when a product first went on stage (program time), for "Shop the show". */
  function markShown(product, at) {
    if (product && !state.shown.has(product.id)) state.shown.set(product.id, { product, at });
  }

  /** "N bought in the last minute": the latest counts replace the previous ones. */
  function applyVelocity(data) {
    if (!data || typeof data.products !== "object" || data.products === null) return;
    state.velocity = new Map(Object.entries(data.products).filter(([, count]) => Number.isInteger(count) && count > 0));
    renderCards();
  }

  function onFrame(frame) {
    window.livebuyRedPackets?.onFrame(frame);
    window.livebuyAuction?.onFrame(frame);
    window.livebuyDrops?.onFrame(frame);
    if (frame.type === "snapshot") {
      applySnapshot(frame);
      return;
    }
    if (frame.type === "error") {
      toast(window.livebuyWords.sentence(frame.data.code, frame.data.message));
      return;
    }
    if (frame.type === "pong") return;
    // chat_ack is a control frame: it repeats the last seq, so it is handled before the seq check.
    if (frame.type === "chat_ack") {
      window.livebuyChat.onFrame(frame);
      return;
    }
    // Every other frame advances seq once; a resume may repeat what a late live frame delivered.
    if (state.lastSeq !== null && frame.seq <= state.lastSeq) return;
    state.lastSeq = frame.seq;
    // A giveaway's window is the server's clock, not the video's: shown as soon as it arrives.
    if (frame.type.startsWith("giveaway") || frame.data.kind === "giveaway") {
      window.livebuyGiveaways?.onFrame(frame);
    } else if (frame.type === "cue") {
      // The server closed the deal now, whatever the video shows: its price ends at once.
      if (frame.data.kind === "deal_end") endDeal(frame.data.deal_id, frame.seq);
      state.pending.push(frame);
      state.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
      release();
    } else if (frame.type === "stock") {
      applyStock(frame.data);
    } else if (frame.type === "sales_velocity") {
      applyVelocity(frame.data);
    } else if (frame.type === "poll_results") {
      window.livebuyPolls?.onResults(frame);
    } else {
      window.livebuyChat.onFrame(frame);
    }
  }

  function endDeal(dealId, seq) {
    state.endedDeals.set(dealId, seq);
    if (state.deals.delete(dealId)) renderAll();
  }

  /** Live stock is not a moment on stage: it applies as soon as it arrives. */
  function applyStock(data) {
    for (const { deal_id: dealId, units_left: unitsLeft } of data.deals || []) {
      const deal = state.deals.get(dealId);
      if (deal) state.deals.set(dealId, { ...deal, units_left: unitsLeft });
    }
    renderBanners();
    const product = state.pins.get(data.product_id);
    if (!product) return;
    state.pins.set(data.product_id, { ...product, stock: data.stock, available: data.available });
    renderCards();
  }

  /** Reveal every buffered cue whose `at` the video has reached. */
  function release() {
    const now = programTime();
    if (now === null) return;
    while (state.pending.length > 0 && state.pending[0].at <= now) {
      applyCue(state.pending.shift());
    }
    scheduleRelease(now);
  }

  // Animation frames come late when the page is busy drawing (a full-screen video under
  // overlays): a timer set for the next cue's `at` reveals it on time anyway.
  let releaseTimer = null;
  function scheduleRelease(now) {
    clearTimeout(releaseTimer);
    releaseTimer = state.pending.length > 0 ? setTimeout(release, Math.max(0, state.pending[0].at - now)) : null;
  }

  // ---- socket --------------------------------------------------------------------------------

  function connect() {
    link ??= window.livebuySocket.create(state.showId, {
      resume: () => ({ since: state.lastSeq, epoch: state.epoch }),
      onFrame,
      onOpen: (socket) => {
        window.livebuyChat.attach(socket);
        setConnection("live", "LIVE");
      },
      onClose: (event) => {
        if (event.code === 4404) {
          setConnection("", "unknown show");
          toast(event.reason || "This show does not exist.");
          return false;
        }
        setConnection("", "reconnecting…");
        return true;
      },
    });
    link.connect();
  }

  /** Drop the socket and stay offline until `connect()` (a network drop, on purpose). */
  function disconnect() {
    setConnection("", "reconnecting…");
    link?.close(1000, "viewer went offline");
  }

  // ---- rendering -----------------------------------------------------------------------------

  function availableBySku(product) {
    return new Map((product.stock || []).map((line) => [line.sku, line.available]));
  }

  /** Whether a deal's price applies now: deals open and close on the server's clock. */
  function dealLive(deal, now = serverNow()) {
    return !deal.ends_at || deal.ends_at > now;
  }

  /** The running deal of a product, if units are left (a sold-out deal sells at the regular price). */
  function dealFor(productId) {
    for (const deal of state.deals.values()) {
      const left = deal.units_left !== undefined ? deal.units_left : deal.units;
      if (deal.product_id === productId && dealLive(deal) && left > 0) return deal;
    }
    return null;
  }

  function variantName(variant) {
    return [variant.size, variant.color].filter(Boolean).join(" · ") || "One size";
  }

  /** "Only N left" under LOW_STOCK units, else "". */
  function urgencyText(product) {
    const left = product.available;
    return Number.isInteger(left) && left > 0 && left <= LOW_STOCK ? `Only ${left} left` : "";
  }

  /**
   * A compact card over the video (phone) or beside it (wider screens): thumbnail, name, price,
   * urgency, size, heart / Add / Buy now. The thumbnail opens the product's sheet.
   */
  function renderCard(product) {
    const deal = dealFor(product.id);
    const card = el("article", { class: "card", "data-product-id": product.id, "aria-label": product.name });
    const media = el("button", { type: "button", class: "details", "aria-label": `Details and close-ups: ${product.name}` });
    const image = product.images[0];
    if (image) media.append(el("img", { src: image.url, alt: "", loading: "lazy", width: "160", height: "200" }));
    const body = el("div", { class: "card-body" });
    body.append(el("p", { class: "brand" }, product.brand), el("h2", {}, product.name));
    const price = el("p", { class: "price" });
    if (deal) {
      price.append(el("s", { "aria-label": `was ${money(product.price)}` }, money(product.price)));
      price.append(el("span", { class: "deal-price" }, money(deal.deal_price)));
    } else {
      price.textContent = money(product.price);
    }
    body.append(price);
    const unitsLeft = deal && deal.units_left !== undefined ? deal.units_left : deal?.units;
    body.append(el("p", { class: "units-left" }, deal ? `Flash deal: ${unitsLeft} left` : ""));
    const velocity = state.velocity.get(product.id);
    const proof = el("p", { class: "proof" });
    const urgency = urgencyText(product);
    if (urgency) proof.append(el("span", { class: "urgency" }, urgency));
    if (velocity) proof.append(el("span", { class: "velocity" }, `${velocity} bought in the last minute`));
    body.append(proof);
    const available = availableBySku(product);
    const label = el("label", {}, "Size / colour");
    const select = el("select", { name: "sku" });
    for (const variant of product.variants) {
      const left = available.has(variant.sku) ? available.get(variant.sku) : variant.stock;
      // Disabled: a sold-out size cannot be picked, yet stays shown when it was already chosen.
      select.append(el("option", { value: variant.sku, disabled: left <= 0, "data-left": String(left) }, `${variantName(variant)} — ${left > 0 ? `${left} left` : "sold out"}`));
    }
    const firstLeft = [...select.options].find((option) => !option.disabled);
    if (firstLeft) select.value = firstLeft.value;
    label.append(select);
    body.append(label);
    body.append(el("p", { class: "stock-note", role: "status" }));
    const actions = el("div", { class: "actions" });
    const favorite = state.favorites.has(product.id);
    actions.append(
      el("button", { type: "button", class: "favorite", "aria-pressed": String(favorite), "aria-label": `Favourite ${product.name}` }, favorite ? "♥" : "♡"),
      el("button", { type: "button", class: "add-to-cart", "aria-label": `Add to cart: ${product.name}` }, "Add"),
      el("button", { type: "button", class: "primary buy-now", "aria-label": `Buy now: ${product.name}` }, "Buy now"),
    );
    card.append(media, body, actions);
    if (![...select.options].some((option) => !option.disabled)) {
      card.classList.add("is-sold-out");
      card.append(el("p", { class: "sold-out" }, "Sold out"));
    }
    window.livebuyExperiments.apply(card, product.id);
    return card;
  }

  /**
   * Buying follows the chosen size: a sold-out size disables both buttons and says so. The size
   * is never switched behind the viewer's back when it sells out.
   */
  function updateBuyState(card, product, justSoldOut = false) {
    const select = card.querySelector("select");
    const option = select.selectedOptions[0];
    const soldOut = !option || Number(option.dataset.left) <= 0;
    const buy = card.querySelector(".buy-now");
    buy.disabled = soldOut;
    buy.textContent = soldOut ? "Sold out" : "Buy now";
    buy.setAttribute("aria-label", soldOut ? `Buy now: ${product.name}, sold out` : `Buy now: ${product.name}`);
    card.querySelector(".add-to-cart").disabled = soldOut;
    const others = [...select.options].some((candidate) => !candidate.disabled);
    const name = option ? option.textContent.split(" — ")[0] : "";
    let note = "";
    if (soldOut && justSoldOut) note = others ? `${name} just sold out: pick another size.` : `${name} just sold out.`;
    else if (soldOut && others) note = `${name} is sold out: pick another size.`;
    card.querySelector(".stock-note").textContent = note;
  }

  function renderCards({ reveal = true } = {}) {
    const container = $("cards");
    let added = null;
    const wanted = [...state.pins.values()];
    const existing = new Map([...container.querySelectorAll(".card")].map((node) => [node.dataset.productId, node]));
    for (const [productId, node] of existing) if (!state.pins.has(productId)) node.remove();
    for (const product of wanted) {
      const key = JSON.stringify([product, dealFor(product.id), state.favorites.has(product.id), state.velocity.get(product.id) || 0, window.livebuyExperiments.stateOf(product.id)]);
      const old = existing.get(product.id);
      if (old && old.dataset.render === key) continue;
      const fresh = renderCard(product);
      fresh.dataset.render = key;
      if (!old) {
        updateBuyState(fresh, product);
        container.append(fresh);
        added = fresh;
      } else {
        // An update (stock, deal) of a card already on screen: no entrance animation again, and
        // the viewer's chosen size stays chosen, even when it just sold out.
        fresh.style.animation = "none";
        const previous = old.querySelector("select").selectedOptions[0];
        const select = fresh.querySelector("select");
        if (previous && [...select.options].some((option) => option.value === previous.value)) select.value = previous.value;
        const wasAvailable = previous && Number(previous.dataset.left) > 0;
        const justSoldOut = old.dataset.justSoldOut === "true" || Boolean(wasAvailable && select.selectedOptions[0]?.disabled);
        if (justSoldOut && select.selectedOptions[0]?.disabled) fresh.dataset.justSoldOut = "true";
        updateBuyState(fresh, product, fresh.dataset.justSoldOut === "true");
        old.replaceWith(fresh);
      }
    }
    container.querySelector(".cards-empty").hidden = state.pins.size > 0;
    if (added && reveal) showCard(container, added);
  }

  /**
   * Bring a newly pinned card into view, without moving focus: the row scrolls sideways on a
   * phone, the column beside the video scrolls down on wider screens.
   */
  function showCard(container, card) {
    const row = container.getBoundingClientRect();
    const box = card.getBoundingClientRect();
    const style = getComputedStyle(container);
    const left = container.scrollLeft + box.left - row.left - (parseFloat(style.paddingLeft) || 0);
    const top = container.scrollTop + box.top - row.top - (parseFloat(style.paddingTop) || 0);
    container.scrollTo({ left, top, behavior: REDUCED_MOTION.matches ? "auto" : "smooth" });
  }

  /**
   * The deal and countdown banners. Their end is `ends_at` on the server's clock (the instant the
   * server closes the deal), not the video's: a viewer behind live loses the same seconds of the
   * deal as everyone else. Only the text that changed is touched, every animation frame.
   */
  function renderBanners() {
    const now = serverNow();
    const banners = $("banners");
    const wanted = [];
    for (const deal of state.deals.values()) {
      if (!dealLive(deal, now)) continue;
      const product = state.pins.get(deal.product_id);
      const left = deal.units_left !== undefined ? deal.units_left : deal.units;
      const name = product ? product.name : deal.product_id;
      wanted.push({ key: `deal:${deal.deal_id}`, kind: "deal", id: deal.deal_id, text: `Flash deal: ${name} at ${money(deal.deal_price)} — ${left} left`, label: `Flash deal on ${name}`, ends_at: deal.ends_at });
    }
    for (const countdown of state.countdowns.values()) {
      if (countdown.ends_at <= now) continue;
      wanted.push({ key: `countdown:${countdown.countdown_id}`, kind: "countdown", id: countdown.countdown_id, text: countdown.label, label: countdown.label, ends_at: countdown.ends_at });
    }
    const existing = new Map([...banners.children].map((node) => [node.dataset.key, node]));
    for (const [key, node] of existing) if (!wanted.some((item) => item.key === key)) node.remove();
    for (const [index, item] of wanted.entries()) {
      let node = existing.get(item.key);
      if (!node) {
        node = el("p", { class: `banner ${item.kind}`, [`data-${item.kind}-id`]: item.id, "data-key": item.key });
        node.append(el("span", {}, item.text));
        if (item.ends_at) node.append(el("time", {}));
      }
      if (banners.children[index] !== node) banners.insertBefore(node, banners.children[index] || null);
      const span = node.querySelector("span");
      if (span.textContent !== item.text) span.textContent = item.text;
      const time = node.querySelector("time");
      if (time) {
        const text = remaining(item.ends_at - now);
        if (time.textContent !== text) time.textContent = text;
      }
      announceProgress(item, now);
    }
    for (const [key, stage] of announced) {
      if (stage !== "over" && !wanted.some((item) => item.key === key)) {
        announced.set(key, "over");
        say(`${announcedLabels.get(key)}: over.`);
      }
    }
  }

  // What screen readers were told of each banner: "start", "last" (LAST_CALL_S left) or "over".
  const announced = new Map();
  const announcedLabels = new Map();

  /** Tell screen readers of a banner's start and last seconds, never of each tick. */
  function announceProgress(item, now) {
    const stage = announced.get(item.key);
    const seconds = item.ends_at ? Math.ceil((item.ends_at - now) / 1000) : null;
    announcedLabels.set(item.key, item.label);
    if (stage === undefined || stage === "over") {
      announced.set(item.key, seconds !== null && seconds <= LAST_CALL_S ? "last" : "start");
      say(seconds === null ? `${item.label}.` : `${item.label}: ${spoken(seconds)} left.`);
    } else if (stage === "start" && seconds !== null && seconds <= LAST_CALL_S) {
      announced.set(item.key, "last");
      say(`${item.label}: ${spoken(seconds)} left.`);
    }
  }

  function spoken(seconds) {
    if (seconds < 60) return seconds === 1 ? "1 second" : `${seconds} seconds`;
    const minutes = Math.round(seconds / 60);
    return minutes === 1 ? "1 minute" : `${minutes} minutes`;
  }

  function say(text) {
    $("announcer").textContent = text;
  }

  function remaining(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function renderAll(options) {
    $("announcement").textContent = state.announcement || "";
    renderCards(options);
    renderBanners();
  }

  // ---- card buttons --------------------------------------------------------------------------

  async function onCardClick(event) {
    const button = event.target.closest("button");
    const card = button?.closest(".card");
    const product = card && state.pins.get(card.dataset.productId);
    if (!product) return;
    const select = card.querySelector("select");
    const sku = select.value;
    if (button.classList.contains("details")) {
      window.livebuySignals.reportSheetOpened(state.showId, product.id);
      const order = await window.livebuyShowcase.openProduct({
        product,
        deal: dealFor(product.id),
        available: availableBySku(product),
        sku,
        urgency: urgencyText(product),
        showId: state.showId,
      });
      if (order) state.orders.push(order);
    } else if (button.classList.contains("favorite")) {
      const on = button.getAttribute("aria-pressed") !== "true";
      button.setAttribute("aria-pressed", String(on));
      await setFavorite(product.id, on);
    } else if (button.classList.contains("add-to-cart")) {
      await shop.addToCart(sku, product.name);
    } else if (button.classList.contains("buy-now")) {
      const variantName = select.selectedOptions[0]?.textContent.split(" — ")[0] || "";
      const deal = dealFor(product.id);
      const order = await shop.buyNow({ product, sku, variantName, deal, showId: state.showId });
      if (order) state.orders.push(order);
    }
  }

  /** Save or drop a favourite (from a card or the Shop sheet); answers whether it is one now. */
  async function setFavorite(productId, on) {
    const saved = await shop.toggleFavorite(productId, on);
    if (saved) state.favorites.add(productId);
    else state.favorites.delete(productId);
    renderCards();
    return saved;
  }

  function openShop() {
    return window.livebuyShowcase.openShop({
      showId: state.showId,
      show: state.show,
      shown: state.shown,
      favorites: state.favorites,
      toggleFavorite: setFavorite,
    });
  }

  /** A returning viewer's favorites (a first-time viewer has no session yet and gets none). */
  async function loadFavorites() {
    if (!localStorage.getItem("livebuy.session")) return;
    try {
      const favorites = await shop.api("GET", "/api/favorites");
      state.favorites = new Set(favorites.product_ids);
      renderCards();
    } catch (error) {
      toast(`Could not load your favourites: ${shop.explain(error)}`);
    }
  }

  // ---- the clock loop ------------------------------------------------------------------------

  let lastSecond = null;
  let liveDeals = "";
  function tick() {
    release();
    const now = programTime();
    const second = now === null ? null : Math.floor(now / 1000);
    if (second !== lastSecond) {
      lastSecond = second;
      $("program-clock").textContent = now === null ? "" : new Date(now).toISOString().slice(11, 19) + " UTC";
    }
    renderBanners();
    // A deal that just reached its end drops its price from the card at that instant.
    const live = [...state.pins.keys()].map((id) => dealFor(id)?.deal_id || "").join(",");
    if (live !== liveDeals) {
      liveDeals = live;
      renderCards();
    }
  }

  function loop() {
    tick();
    requestAnimationFrame(loop);
  }

  // ---- start ---------------------------------------------------------------------------------

  async function pickShow() {
    const match = SHOW_PATH.exec(location.pathname);
    if (match) return match[1];
    const response = await fetch("/api/shows");
    const shows = response.ok ? await response.json() : [];
    return shows.length > 0 ? shows[0].id : null;
  }

  async function main() {
    state.showId = await pickShow();
    if (state.showId === null) {
      setConnection("", "no show");
      $("show-title").textContent = "No show is scheduled";
      return;
    }
    $("cards").addEventListener("click", onCardClick);
    $("open-shop").addEventListener("click", openShop);
    $("cards").addEventListener("change", (event) => {
      const card = event.target.closest(".card");
      const product = card && state.pins.get(card.dataset.productId);
      if (!product) return;
      delete card.dataset.justSoldOut;
      updateBuyState(card, product);
    });
    loadFavorites();
    connect();
    requestAnimationFrame(loop);
    // A hidden tab gets no animation frames; cues still play while the video does.
    setInterval(tick, 250);
    await startVideo();
  }

  window.livebuy = {
    state,
    programTime,
    serverNow,
    connect,
    disconnect,
    openShop,
    receive: onFrame, // apply a frame as if the socket delivered it (tests of frames other helpers add)
    get revealed() {
      return state.revealed;
    },
  };
  main();
})();
