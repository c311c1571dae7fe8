// The replay page: a recorded run of a show as VOD, with its cards, chat and reactions at the
// program times they had live. Seeking asks the server for the state at that moment (rebuilt from
// the event log); playing on applies the run's timeline. Buying is at the regular price: deals are
// over. Server text only ever goes in through textContent.
//
// Copied from the live page (kept minimal, so the two pages can change independently): `el`
// (dom.js), `money` and the guest session + demo card (shop.js).

const SHOW_PATH = /^\/replay\/([a-z0-9][a-z0-9_-]{0,63})\/?$/;
const SESSION_KEY = "livebuy.session";
const DEMO_CARD = { card_number: "4242424242424242", expiry_month: 12, expiry_year: 2030, cvc: "123" };
const REACTION_ICONS = { heart: "❤️", fire: "🔥", clap: "👏", laugh: "😂", wow: "😮" };
const CHAT_LINES = 8;
// A jump of the play head by more than this is a seek (native players and hls.js alike).
const SEEK_JUMP_MS = 2500;
// A seek still loading its fragment is waited for this long before it counts as a failed try:
// on a slow network the video gets there late, and the cards must not jump back meanwhile.
const SEEK_LOAD_MS = 15000;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  if (text !== null) node.textContent = text;
  return node;
}

function money(value) {
  const format = new Intl.NumberFormat(undefined, { style: "currency", currency: value.currency });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(value.amount / 10 ** digits);
}

function toast(message) {
  const node = el("p", { class: "toast" }, message);
  $("toasts").append(node);
  setTimeout(() => node.remove(), 4000);
}

const state = {
  showId: null,
  run: null,
  runInfo: null,
  entries: [], // the run's timeline, in program-time order
  cursor: 0, // index of the next entry to apply
  lastProgram: null,
  pins: new Map(), // product_id -> card, newest first
  announcement: null,
  deals: new Map(),
  orders: [], // orders this page placed (for people and tests)
  seeks: 0, // state fetches done after a seek (for tests)
  // Where the video must get to: hls.js starts a playlist that is still recording at its live
  // edge, after our first seek; `tick` seeks again until the video is there (a few tries).
  pendingSeek: null,
  pendingTries: 0,
  pendingSince: 0,
  video: { mode: "loading", hls: null, fragments: [] },
  programTime,
};
window.livebuyReplay = { state };

// ---- API -------------------------------------------------------------------------------------

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error?.message || `${url}: HTTP ${response.status}`);
  return body;
}

async function sessionToken() {
  const stored = localStorage.getItem(SESSION_KEY);
  if (stored) return JSON.parse(stored).token;
  const response = await fetch("/api/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  if (!response.ok) throw new Error("could not start a guest session");
  const session = await response.json();
  localStorage.setItem(SESSION_KEY, JSON.stringify({ token: session.token, display_name: session.display_name }));
  return session.token;
}

async function api(method, url, body, headers = {}) {
  const token = await sessionToken();
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const result = await response.json().catch(() => null);
  if (!response.ok) throw new Error(result?.error?.message || `HTTP ${response.status}`);
  return result;
}

function randomKey() {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- program clock and seeking ---------------------------------------------------------------

/** The video's playback program time (ms since the epoch), or null before it plays. */
function programTime() {
  const video = state.video;
  if (video.mode === "hls") {
    const date = video.hls.playingDate;
    return date ? date.getTime() : null;
  }
  if (video.mode === "native") {
    const start = $("video").getStartDate?.();
    const base = start instanceof Date ? start.getTime() : NaN;
    return Number.isFinite(base) ? base + $("video").currentTime * 1000 : null;
  }
  // Without video the run plays on the wall clock from where the viewer started.
  if (video.mode === "none" && video.origin) return video.origin.program + (Date.now() - video.origin.wall);
  return null;
}

/** The media time (s) of program time `at` in the recorded playlist. */
function mediaTimeOf(at) {
  const fragments = state.video.fragments;
  let chosen = fragments[0];
  for (const fragment of fragments) {
    if (fragment.programDateTime <= at) chosen = fragment;
  }
  if (!chosen) return 0;
  const offset = Math.max(0, Math.min(at - chosen.programDateTime, chosen.duration * 1000));
  return chosen.start + offset / 1000;
}

function holdSeek(at) {
  state.pendingSeek = at;
  state.pendingTries = 0;
  state.pendingSince = Date.now();
}

function seekTo(at) {
  const video = state.video;
  if (video.mode !== "none") holdSeek(at);
  if (video.mode === "hls" && video.fragments.length) {
    $("video").currentTime = mediaTimeOf(at);
  } else if (video.mode === "native") {
    const start = $("video").getStartDate?.();
    if (start instanceof Date) $("video").currentTime = Math.max(0, (at - start.getTime()) / 1000);
  } else {
    video.origin = { program: at, wall: Date.now() };
  }
  jump(at);
}

function lazyHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  return new Promise((resolve, reject) => {
    const script = el("script", { src: "/static/vendor/hls.light.min.js" });
    script.onload = () => resolve(window.Hls);
    script.onerror = () => reject(new Error("hls.js did not load"));
    document.head.append(script);
  });
}

function noVideo(message, startAt) {
  if (state.video.hls) state.video.hls.destroy();
  state.video = { mode: "none", hls: null, fragments: [], origin: { program: startAt, wall: Date.now() } };
  const note = $("video-note");
  note.textContent = `${message} Products, chat and reactions still play at their times.`;
  note.hidden = false;
}

async function startVideo(startAt) {
  const url = `/video/${encodeURIComponent(state.showId)}/replay/${state.run}/index.m3u8`;
  const video = $("video");
  const probe = await fetch(url).catch(() => null);
  if (!probe || !probe.ok) {
    const body = probe ? await probe.json().catch(() => null) : null;
    noVideo(body?.error?.message ? `No video: ${body.error.message}.` : "No recorded video.", startAt);
    jump(startAt);
    return;
  }
  // MSE browsers get hls.js (loaded only now); Safari and iOS play HLS natively.
  const Hls = window.MediaSource ? await lazyHls().catch(() => null) : null;
  if (Hls && Hls.isSupported()) {
    const hls = new Hls({ enableWorker: true });
    state.video = { mode: "hls", hls, fragments: [] };
    hls.on(Hls.Events.LEVEL_LOADED, (_, data) => {
      const first = !state.video.fragments.length;
      state.video.fragments = data.details.fragments.map((f) => ({
        start: f.start,
        duration: f.duration,
        programDateTime: f.programDateTime,
      }));
      if (first) {
        holdSeek(startAt);
        video.currentTime = mediaTimeOf(startAt);
        jump(startAt);
      }
    });
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (data.fatal) noVideo(`The video stopped (${data.details}).`, programTime() ?? startAt);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
  } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
    state.video = { mode: "native", hls: null, fragments: [] };
    video.src = url;
    video.addEventListener("loadedmetadata", () => seekTo(startAt), { once: true });
  } else {
    noVideo("This browser cannot play HLS video.", startAt);
    jump(startAt);
    return;
  }
  video.play().catch(() => toast("Press play to start the replay."));
}

// ---- state at a moment, then the timeline --------------------------------------------------

let jumpToken = 0;

/** Show the state at program time `at` (from the server), then play the timeline on from there. */
async function jump(at) {
  const token = ++jumpToken;
  state.lastProgram = at;
  let snapshot;
  try {
    snapshot = await getJson(`/api/shows/${encodeURIComponent(state.showId)}/replay/${state.run}/state?at=${Math.round(at)}`);
  } catch (error) {
    toast(`Could not load that moment: ${error.message}`);
    return;
  }
  if (token !== jumpToken) return; // a later seek won
  state.pins = new Map([...snapshot.pinned].reverse().map((pin) => [pin.product_id, pin.product]));
  state.announcement = snapshot.announcement ? snapshot.announcement.text : null;
  state.deals = new Map(snapshot.deals.map((deal) => [deal.deal_id, deal]));
  state.cursor = state.entries.findIndex((entry) => entry.at > snapshot.at);
  if (state.cursor < 0) state.cursor = state.entries.length;
  state.lastProgram = Math.max(at, snapshot.at);
  state.seeks += 1;
  renderChatBefore(state.cursor);
  render();
}

function applyCue(data) {
  switch (data.kind) {
    case "pin":
      state.pins.delete(data.product_id);
      state.pins = new Map([[data.product_id, data.product], ...state.pins]);
      break;
    case "unpin":
      if (data.product_id) state.pins.delete(data.product_id);
      else state.pins.clear();
      break;
    case "announce":
      state.announcement = data.text;
      break;
    case "announce_clear":
      state.announcement = null;
      break;
    case "deal_start":
      state.deals.set(data.deal_id, data);
      break;
    case "deal_end":
      state.deals.delete(data.deal_id);
      break;
    default:
      return false;
  }
  return true;
}

function chatLine(message) {
  const line = el("li");
  line.append(el("b", {}, `${message.display_name}: `), document.createTextNode(message.text));
  return line;
}

function addChat(messages) {
  const log = $("chat-log");
  for (const message of messages) log.append(chatLine(message));
  while (log.children.length > CHAT_LINES) log.firstElementChild.remove();
}

function renderChatBefore(index) {
  $("chat-log").replaceChildren();
  const messages = [];
  for (let i = index - 1; i >= 0 && messages.length < CHAT_LINES; i -= 1) {
    const entry = state.entries[i];
    if (entry.type === "chat") messages.unshift(...entry.data.messages);
  }
  addChat(messages.slice(-CHAT_LINES));
}

function showReactions(counts) {
  const icons = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${REACTION_ICONS[kind] || kind}×${count}`);
  if (!icons.length) return;
  const node = $("reactions");
  node.textContent = icons.join(" ");
  clearTimeout(showReactions.timer);
  showReactions.timer = setTimeout(() => (node.textContent = ""), 1500);
}

function tick() {
  const now = programTime();
  if (now === null) return;
  $("program-clock").textContent = new Date(now).toISOString().slice(11, 23);
  if (state.pendingSeek !== null) {
    if ($("video").seeking && Date.now() - state.pendingSince < SEEK_LOAD_MS) return;
    if (Math.abs(now - state.pendingSeek) > 1000 && state.pendingTries < 20) {
      state.pendingTries += 1;
      if (state.video.mode === "hls") $("video").currentTime = mediaTimeOf(state.pendingSeek);
      return;
    }
    state.pendingSeek = null;
  }
  const last = state.lastProgram;
  if (last === null || now < last - SEEK_JUMP_MS || now > last + SEEK_JUMP_MS) {
    jump(now);
    return;
  }
  if (now <= last) return;
  let changed = false;
  while (state.cursor < state.entries.length && state.entries[state.cursor].at <= now) {
    const entry = state.entries[state.cursor];
    state.cursor += 1;
    if (entry.type === "cue") changed = applyCue(entry.data) || changed;
    else if (entry.type === "chat") addChat(entry.data.messages);
    else if (entry.type === "reactions") showReactions(entry.data.counts);
  }
  state.lastProgram = now;
  if (changed) render();
}

// ---- rendering and buying -----------------------------------------------------------------

function skuPrice(product, variant) {
  return variant.price || product.price;
}

function card(product) {
  const node = el("article", { class: "card", "data-product-id": product.id });
  const image = product.images[0];
  node.append(el("img", { src: image.url, alt: image.alt, loading: "lazy" }));
  node.append(el("p", { class: "brand" }, product.brand), el("h3", {}, product.name));
  const stock = new Map(product.stock.map((s) => [s.sku, s.available]));
  const select = el("select", { "aria-label": `Variant of ${product.name}` });
  for (const variant of product.variants) {
    const label = [variant.size, variant.color].filter(Boolean).join(" · ") || variant.sku;
    const left = stock.get(variant.sku) ?? 0;
    const option = el("option", { value: variant.sku, disabled: left <= 0 }, left > 0 ? label : `${label} — sold out`);
    select.append(option);
  }
  const firstInStock = product.variants.find((v) => (stock.get(v.sku) ?? 0) > 0);
  if (firstInStock) select.value = firstInStock.sku;
  const price = el("p", { class: "price" });
  const button = el("button", { type: "button" });
  const update = () => {
    const variant = product.variants.find((v) => v.sku === select.value) || product.variants[0];
    const amount = money(skuPrice(product, variant));
    price.textContent = amount;
    button.textContent = firstInStock ? `Buy · ${amount}` : "Sold out";
    button.setAttribute("aria-label", firstInStock ? `Buy ${product.name} at ${amount}` : `${product.name} is sold out`);
  };
  update();
  select.addEventListener("change", update);
  button.disabled = !firstInStock;
  button.addEventListener("click", () => buy(product, select.value, button));
  node.append(price, select, button);
  return node;
}

async function buy(product, sku, button) {
  button.disabled = true;
  try {
    // No deal_id: a replay buys at the regular price (the deals of the live show are over).
    const order = await api("POST", "/api/orders", { sku, quantity: 1, show_id: state.showId }, { "Idempotency-Key": randomKey() });
    const paid = await api("POST", `/api/orders/${encodeURIComponent(order.id)}/pay`, DEMO_CARD);
    state.orders.push(paid);
    toast(`Bought ${product.name} for ${money(paid.total)}.`);
  } catch (error) {
    toast(`Could not buy ${product.name}: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function render() {
  $("announcement").textContent = state.announcement || "";
  const cards = $("cards");
  if (state.pins.size) cards.replaceChildren(...[...state.pins.values()].map(card));
  else cards.replaceChildren(el("p", { class: "cards-empty" }, "Nothing on stage at this moment."));
  const note = $("deal-note");
  const deals = [...state.deals.values()];
  note.hidden = !deals.length;
  note.textContent = deals.length
    ? `A flash deal ran here live (${deals.map((d) => money(d.deal_price)).join(", ")}); it is over, so the regular price applies.`
    : "";
}

function renderShown() {
  const seen = new Map();
  for (const entry of state.entries) {
    if (entry.type === "cue" && entry.data.kind === "pin" && !seen.has(entry.data.product_id)) {
      seen.set(entry.data.product_id, entry);
    }
  }
  const start = state.runInfo.starts_at;
  const list = $("shown");
  list.replaceChildren();
  for (const [productId, entry] of seen) {
    const offset = Math.max(0, Math.round((entry.at - start) / 1000));
    const clock = `${Math.floor(offset / 60)}:${String(offset % 60).padStart(2, "0")}`;
    const href = `/replay/${encodeURIComponent(state.showId)}?run=${state.run}&t=${entry.at}`;
    const link = el("a", { href, "data-product-id": productId, "aria-label": `Watch the moment of ${entry.data.product.name} (${clock})` }, `Watch that moment · ${clock}`);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      history.replaceState(null, "", href);
      seekTo(entry.at);
    });
    const item = el("li");
    item.append(el("span", {}, `${entry.data.product.brand} ${entry.data.product.name}`), link);
    list.append(item);
  }
}

// ---- start -----------------------------------------------------------------------------------

async function loadTimeline() {
  const base = `/api/shows/${encodeURIComponent(state.showId)}/replay/${state.run}/timeline`;
  let offset = 0;
  const entries = [];
  while (offset !== null) {
    const page = await getJson(`${base}?offset=${offset}&limit=1000`);
    entries.push(...page.entries);
    offset = page.next_offset;
  }
  state.entries = entries;
}

async function main() {
  const match = SHOW_PATH.exec(location.pathname);
  if (!match) {
    $("video-note").textContent = "No such replay.";
    $("video-note").hidden = false;
    return;
  }
  state.showId = match[1];
  const params = new URLSearchParams(location.search);
  try {
    const [show, recorded] = await Promise.all([
      getJson(`/api/shows/${encodeURIComponent(state.showId)}`),
      getJson(`/api/shows/${encodeURIComponent(state.showId)}/replay`),
    ]);
    $("show-title").textContent = show.show.title;
    document.title = `${show.show.title} — replay — livebuy`;
    const wanted = params.has("run") ? Number(params.get("run")) : null;
    state.runInfo = recorded.runs.find((run) => wanted === null || run.run === wanted) || null;
    if (!state.runInfo) throw new Error(wanted === null ? "nothing recorded yet" : `run ${wanted} is not recorded`);
    state.run = state.runInfo.run;
    $("run-label").textContent = state.runInfo.ended ? `replay · run ${state.run + 1}` : `recording · run ${state.run + 1}`;
    await loadTimeline();
  } catch (error) {
    $("video-note").textContent = `No replay: ${error.message}.`;
    $("video-note").hidden = false;
    return;
  }
  renderShown();
  const t = Number(params.get("t"));
  const startAt = Number.isFinite(t) && t > 0 ? t : state.runInfo.starts_at;
  await startVideo(startAt);
  setInterval(tick, 100);
}

main();
