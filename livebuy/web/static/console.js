// The producer console: token login, live cues (pin, unpin, announce, countdown, deal), what is
// on air, and the run sheet with its play head. Server text is only set with textContent.
"use strict";

(() => {
  const TOKEN_KEY = "livebuy.producerToken";
  const FRAMES_KEPT = 40;

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    showId: null,
    show: null,
    products: new Map(),
    lastSeq: null,
    epoch: null,
    pins: new Map(),
    deals: new Map(),
    countdowns: new Map(),
    announcement: null,
    played: new Map(), // run-sheet cue id -> program time it played at
    head: null, // {offset, at}: the last run-sheet cue played
    timeline: null, // {version, speed, paused, anchor {wall_ms, sheet_ms}} from the server
    clockSkew: 0, // server clock minus this browser's, from the snapshot's ts
  };
  const MODERATOR = { "x-moderator": "console" };
  let link = null; // the open show's websocket link

  const { $, el } = window.livebuyDom;
  const { setConnection } = window.livebuySocket;

  function clockText(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const minutes = Math.floor(total / 60);
    return `${String(minutes).padStart(2, "0")}:${String(total % 60).padStart(2, "0")}`;
  }

  function result(message, isError = false) {
    const node = $("result");
    node.className = isError ? "result error" : "result";
    node.textContent = message;
  }

  // ---- API -----------------------------------------------------------------------------------

  async function getJson(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  }

  /** Post a cue as the producer; answers with the published cue or shows the error. */
  async function sendCue(cue, what) {
    const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/cues`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${state.token}` },
      body: JSON.stringify({ cue }),
    });
    const body = await response.json().catch(() => null);
    if (response.status === 201) {
      result(`${what}: sent as seq ${body.seq}`);
      return body;
    }
    const message = body?.error?.message || `HTTP ${response.status}`;
    result(`${what} failed: ${message}`, true);
    if (response.status === 401 || response.status === 403) signOut("The token was refused.");
    return null;
  }

  // ---- login ---------------------------------------------------------------------------------

  function signOut(message) {
    // Signed out, the console stops following the show: no reconnect until it signs in again.
    link?.close();
    link = null;
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    $("desk").hidden = true;
    $("login").hidden = false;
    setConnection("", message || "signed out");
  }

  async function signIn(token) {
    state.token = token;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("login").hidden = true;
    $("desk").hidden = false;
    await loadDesk();
  }

  // ---- desk ----------------------------------------------------------------------------------

  async function loadDesk() {
    const [shows, page] = await Promise.all([
      getJson("/api/shows"),
      getJson("/api/catalog/products?limit=100"),
    ]);
    const showSelect = $("show");
    showSelect.replaceChildren(...shows.map((show) => el("option", { value: show.id }, show.title)));
    const productSelect = $("product");
    state.products = new Map(page.items.map((product) => [product.id, product]));
    productSelect.replaceChildren(
      ...page.items.map((product) => el("option", { value: product.id }, `${product.brand} — ${product.name}`)),
    );
    if (shows.length > 0) await openShow(shows[0].id);
  }

  async function openShow(showId) {
    state.showId = showId;
    const detail = await getJson(`/api/shows/${encodeURIComponent(showId)}`);
    state.show = detail.show;
    state.played.clear();
    state.head = null;
    renderSheet();
    link?.close();
    state.lastSeq = null;
    connect();
    loadBlockedWords();
    window.livebuyDashboard?.poll();
    window.livebuyConsoleLive?.openShow(showId);
  }

  function connect() {
    link = window.livebuySocket.create(state.showId, {
      // A console watches the show but is not part of its audience: the dashboard must not count it.
      params: { role: "console" },
      resume: () => ({ since: state.lastSeq, epoch: state.epoch }),
      onFrame,
      // The producer token goes in the first frame, never the URL (URLs end up in logs).
      onOpen: (socket) => {
        socket.send(JSON.stringify({ type: "auth", data: { token: state.token } }));
        setConnection("live", "on air");
      },
      onClose: (event) => {
        if (event.code === 1008 || event.code === 4401) {
          signOut("The token was refused.");
          return false;
        }
        setConnection("", "reconnecting…");
        return true;
      },
    });
    link.connect();
  }

  function onFrame(frame) {
    applyFrame(frame);
    // Stock, sales velocity and the preview are console-live.js.
    window.livebuyConsoleLive?.onFrame(frame);
  }

  function applyFrame(frame) {
    if (frame.type === "snapshot") {
      const data = frame.data;
      state.epoch = data.epoch;
      state.lastSeq = frame.seq;
      state.pins = new Map(data.pinned.map((pin) => [pin.product_id, pin.product]));
      state.deals = new Map(data.deals.map((deal) => [deal.deal_id, deal]));
      state.countdowns = new Map(data.countdowns.map((c) => [c.countdown_id, c]));
      state.announcement = data.announcement ? data.announcement.text : null;
      state.clockSkew = frame.ts - Date.now();
      state.timeline = null;
      if (data.timeline) applyTimeline(data.timeline);
      logFrame(`snapshot seq ${frame.seq}`);
      renderOnAir();
      if (data.chat) {
        $("mod-chat").replaceChildren();
        for (const message of data.chat.messages) addModMessage(message);
        showModPinned(data.chat.pinned);
        $("slow-seconds").value = String(Math.round(data.chat.slow_mode_ms / 1000));
      }
      return;
    }
    if (frame.type === "error" || frame.type === "pong") return;
    if (state.lastSeq !== null && frame.seq <= state.lastSeq) return;
    state.lastSeq = frame.seq;
    if (frame.type === "timeline") {
      logFrame(`seq ${frame.seq} timeline ${speedText(frame.data)}`);
      applyTimeline(frame.data);
      return;
    }
    if (frame.type !== "cue") {
      onLiveFrame(frame);
      return;
    }
    const cue = frame.data;
    logFrame(`seq ${frame.seq} ${cue.kind} ${cue.cue_id}`);
    applyCue(cue, frame.at);
    renderOnAir();
    renderSheet();
  }

  function applyCue(cue, at) {
    if (cue.kind === "pin") state.pins.set(cue.product_id, cue.product);
    if (cue.kind === "unpin") {
      if (cue.product_id) state.pins.delete(cue.product_id);
      else state.pins.clear();
    }
    if (cue.kind === "countdown") {
      // The server's end time already runs at the rehearsal speed the countdown started at.
      state.countdowns.set(cue.countdown_id, { label: cue.label, ends_at: cue.ends_at ?? at + cue.duration_ms });
    }
    if (cue.kind === "deal_start") state.deals.set(cue.deal_id, { ...cue, started_at: at });
    if (cue.kind === "deal_end") state.deals.delete(cue.deal_id);
    if (cue.kind === "announce") state.announcement = cue.text;
    if (cue.kind === "announce_clear") state.announcement = null;
    const line = state.show?.cues.find((candidate) => candidate.id === cue.cue_id);
    if (line) {
      if (line.offset_ms === 0) state.played.clear();
      state.played.set(line.id, at);
      state.head = { offset: line.offset_ms, at };
    }
  }

  function logFrame(text) {
    const list = $("frames");
    list.prepend(el("li", {}, text));
    while (list.children.length > FRAMES_KEPT) list.lastElementChild.remove();
  }

  function renderOnAir() {
    const items = [];
    for (const product of state.pins.values()) items.push(el("li", { "data-product-id": product.id }, `pinned: ${product.name}`));
    for (const deal of state.deals.values()) {
      const left = deal.units_left !== undefined ? deal.units_left : deal.units;
      const product = state.products.get(deal.product_id);
      const name = product ? product.name : deal.product_id;
      items.push(el("li", { "data-deal-id": deal.deal_id }, `deal ${deal.deal_id}: ${name}, ${left} units left`));
    }
    for (const countdown of state.countdowns.values()) {
      if (countdown.ends_at > Date.now()) items.push(el("li", {}, `countdown: ${countdown.label}`));
    }
    if (state.announcement) items.push(el("li", {}, `announcement: ${state.announcement}`));
    $("on-air").replaceChildren(...items);
    const now = $("announcement-now");
    now.textContent = state.announcement ?? "none";
    now.classList.toggle("empty", !state.announcement);
    $("announce-clear").disabled = !state.announcement;
    $("deal").replaceChildren(...[...state.deals.keys()].map((id) => el("option", { value: id }, id)));
  }

  function describe(cue) {
    switch (cue.kind) {
      case "pin":
      case "unpin":
        return cue.product_id || "everything";
      case "countdown":
        return `${cue.label} (${clockText(cue.duration_ms)})`;
      case "deal_start":
        return `${cue.deal_id}: ${cue.product_id}, ${cue.units} units`;
      case "deal_end":
        return cue.deal_id;
      case "announce":
        return cue.text;
      case "announce_clear":
        return "announcement down";
      default:
        return "";
    }
  }

  function renderSheet() {
    if (!state.show) return;
    const headId = state.head ? [...state.played.keys()].pop() : null;
    const rows = state.show.cues.map((line) => {
      const className = line.id === headId ? "head" : state.played.has(line.id) ? "played" : null;
      const row = el("tr", { class: className, "data-cue-id": line.id, "aria-current": line.id === headId ? "step" : null });
      row.append(
        el("td", {}, clockText(line.offset_ms)),
        el("td", {}, line.id),
        el("td", {}, line.cue.kind),
        el("td", {}, describe(line.cue)),
        el("td", { class: "eta" }, ""),
      );
      return row;
    });
    $("sheet").replaceChildren(...rows);
    tick();
  }

  // ---- rehearsal timeline: play head and speed -------------------------------------------------

  function speedText(timeline) {
    const speed = `${Number(timeline.speed.toFixed(2))}×`;
    return timeline.paused ? `paused (${speed})` : speed;
  }

  /** Keep the newest timeline (versions only grow; a change's frame may land after its answer). */
  function applyTimeline(timeline) {
    if (state.timeline && timeline.version < state.timeline.version) return;
    state.timeline = {
      version: timeline.version,
      speed: timeline.speed,
      paused: timeline.paused,
      anchor: { wall_ms: timeline.anchor.wall_ms, sheet_ms: timeline.anchor.sheet_ms },
    };
    $("speed-now").textContent = speedText(state.timeline);
    for (const button of document.querySelectorAll("#speed-buttons button[data-speed]")) {
      const pressed = !state.timeline.paused && Number(button.dataset.speed) === state.timeline.speed;
      button.setAttribute("aria-pressed", String(pressed));
    }
    const pause = $("speed-pause");
    pause.textContent = state.timeline.paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", String(state.timeline.paused));
    tick();
  }

  /** Sheet position over every run (negative before the start), on the server's clock. */
  function sheetPosition(now) {
    const { anchor, speed, paused } = state.timeline;
    return anchor.sheet_ms + (now + state.clockSkew - anchor.wall_ms) * (paused ? 0 : speed);
  }

  /** Ask the server to change the timeline; its answer and the `timeline` frame both apply. */
  async function changeTimeline(body, what) {
    const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/timeline`, {
      method: "PUT",
      headers: { "content-type": "application/json", authorization: `Bearer ${state.token}` },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => null);
    if (response.ok) {
      applyTimeline(answer);
      result(`${what}: ${speedText(answer)}`);
      return;
    }
    result(`${what} failed: ${answer?.error?.message || `HTTP ${response.status}`}`, true);
    if (response.status === 401 || response.status === 403) signOut("The token was refused.");
  }

  /** The play head and, for each cue still to come in this run, how long until it plays. */
  function renderPlayHead(now) {
    const show = state.show;
    const position = sheetPosition(now);
    const head = $("play-head");
    head.dataset.positionMs = String(Math.round(position));
    if (position < 0) {
      head.textContent = `starts in ${clockText(-position / (state.timeline.speed || 1))}`;
      return;
    }
    const ended = !show.loop && position >= show.length_ms;
    const offset = ended ? show.length_ms : position % show.length_ms;
    head.textContent = `${clockText(offset)} / ${clockText(show.length_ms)}${ended ? " (ended)" : ""}`;
    for (const row of $("sheet").children) {
      const line = show.cues.find((candidate) => candidate.id === row.dataset.cueId);
      const eta = row.querySelector(".eta");
      if (!line || !eta) continue;
      const ahead = line.offset_ms - offset;
      if (ended || ahead <= 0) eta.textContent = "";
      else if (state.timeline.paused) eta.textContent = "paused";
      else eta.textContent = `in ${clockText(ahead / state.timeline.speed)}`;
    }
  }

  function tick() {
    const now = Date.now();
    $("program-time").textContent = `${new Date(now).toISOString().slice(11, 19)} UTC`;
    if (state.timeline && state.show) renderPlayHead(now);
  }

  // ---- moderation (the live dashboard is dashboard.js) -------------------------------------

  function onLiveFrame(frame) {
    const data = frame.data;
    if (frame.type === "chat") {
      for (const message of data.messages) addModMessage(message);
    } else if (frame.type === "chat_delete") {
      document.querySelector(`#mod-chat [data-message-id="${CSS.escape(data.id)}"]`)?.remove();
    } else if (frame.type === "chat_pin") {
      showModPinned(data.message);
    } else if (frame.type === "chat_mode") {
      $("slow-seconds").value = String(Math.round(data.slow_mode_ms / 1000));
    } else if (!["reactions", "stock", "sales_velocity"].includes(frame.type)) {
      // Reactions are drawn by dashboard.js; stock and sales velocity by console-live.js.
      logFrame(`${frame.type} seq ${frame.seq}`);
    }
  }

  /** A moderation call; answers whether it worked (the result line says either way). */
  async function moderate(method, path, body, what) {
    const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/chat/${path}`, {
      method,
      headers: {
        authorization: `Bearer ${state.token}`,
        ...MODERATOR,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.ok) {
      result(`${what}: done`);
      return response.status === 204 ? {} : response.json();
    }
    const answer = await response.json().catch(() => null);
    result(`${what} failed: ${answer?.error?.message || `HTTP ${response.status}`}`, true);
    if (response.status === 401 || response.status === 403) signOut("The token was refused.");
    return null;
  }

  function addModMessage(message) {
    const list = $("mod-chat");
    if (list.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`)) return;
    const item = el("li", { "data-message-id": message.id, "data-handle": message.author.handle });
    item.append(
      el("span", { class: "who" }, message.author.display_name),
      el("span", { class: "text" }, message.text),
      el("button", { type: "button", "data-action": "delete", "aria-label": `Delete message from ${message.author.display_name}` }, "Delete"),
      el("button", { type: "button", "data-action": "pin", "aria-label": `Pin message from ${message.author.display_name}` }, "Pin"),
      el("button", { type: "button", "data-action": "mute", "aria-label": `Mute 5 min: ${message.author.display_name}` }, "Mute 5 min"),
      el("button", { type: "button", "data-action": "ban", "aria-label": `Ban 1 h: ${message.author.display_name}` }, "Ban 1 h"),
    );
    list.prepend(item);
    while (list.children.length > 50) list.lastElementChild.remove();
  }

  function showModPinned(message) {
    $("mod-pinned").textContent = message ? `Pinned: ${message.author.display_name}: ${message.text}` : "";
  }

  async function onModClick(event) {
    const button = event.target.closest("button[data-action]");
    const item = button?.closest("li");
    if (!item) return;
    const messageId = item.dataset.messageId;
    const handle = item.dataset.handle;
    const action = button.dataset.action;
    if (action === "delete") await moderate("DELETE", `messages/${encodeURIComponent(messageId)}`, undefined, "delete");
    if (action === "pin") await moderate("PUT", "pin", { message_id: messageId }, "pin message");
    if (action === "mute") await moderate("POST", "mutes", { handle, duration_ms: 300_000 }, "mute");
    if (action === "ban") await moderate("POST", "bans", { handle, duration_ms: 3_600_000 }, "ban");
  }

  async function loadBlockedWords() {
    const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/chat/blocked-words`, {
      headers: { authorization: `Bearer ${state.token}` },
    });
    if (response.ok) $("blocked-words").value = (await response.json()).words.join(", ");
  }

  // ---- controls ------------------------------------------------------------------------------

  function selectedProduct() {
    return state.products.get($("product").value);
  }

  function wire() {
    $("login").addEventListener("submit", (event) => {
      event.preventDefault();
      signIn($("token").value.trim());
    });
    $("show").addEventListener("change", (event) => openShow(event.target.value));
    $("speed-buttons").addEventListener("click", (event) => {
      const button = event.target.closest("button");
      if (!button || !state.showId) return;
      if (button.id === "speed-pause") {
        const paused = Boolean(state.timeline && state.timeline.paused);
        changeTimeline({ paused: !paused }, paused ? "resume" : "pause");
      } else {
        changeTimeline({ speed: Number(button.dataset.speed) }, "speed");
      }
    });
    $("pin").addEventListener("click", () => sendCue({ kind: "pin", product_id: $("product").value }, "pin"));
    $("unpin").addEventListener("click", () => sendCue({ kind: "unpin", product_id: $("product").value }, "unpin"));
    $("unpin-all").addEventListener("click", () => sendCue({ kind: "unpin" }, "unpin all"));
    $("announce-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sendCue({ kind: "announce", text: $("announce-text").value }, "announcement");
    });
    $("announce-clear").addEventListener("click", () => sendCue({ kind: "announce_clear" }, "clear announcement"));
    $("countdown-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const cue = {
        kind: "countdown",
        countdown_id: `live-${Date.now().toString(36)}`,
        label: $("countdown-label").value,
        duration_ms: Number($("countdown-seconds").value) * 1000,
      };
      sendCue(cue, "countdown");
    });
    $("deal-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const product = selectedProduct();
      if (!product) return;
      const currency = product.price.currency;
      const digits = new Intl.NumberFormat(undefined, { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
      const cue = {
        kind: "deal_start",
        deal_id: `deal-${Date.now().toString(36)}`,
        product_id: product.id,
        deal_price: { amount: Math.round(Number($("deal-price").value) * 10 ** digits), currency },
        units: Number($("deal-units").value),
        per_customer_limit: Number($("deal-limit").value),
        duration_ms: Number($("deal-seconds").value) * 1000,
      };
      // A lottery (fair drop): taps in the entry window are drawn; its duration must outlast it.
      const lottery = $("deal-mode").value === "lottery";
      if (lottery) Object.assign(cue, { mode: "lottery", entry_window_ms: Number($("deal-window").value) * 1000 });
      $("confirm-text").textContent =
        `${product.name}: ${cue.units} units at ${$("deal-price").value} ${currency}, ` +
        `${cue.per_customer_limit} per customer, for ${$("deal-seconds").value} s. Every viewer sees it at once.` +
        (lottery ? ` Lottery: entries for ${$("deal-window").value} s, then a random draw.` : "");
      const dialog = $("confirm-deal");
      dialog.returnValue = "";
      dialog.onclose = () => {
        if (dialog.returnValue === "start") sendCue(cue, "deal");
      };
      dialog.showModal();
    });
    $("mod-chat").addEventListener("click", onModClick);
    $("slow-form").addEventListener("submit", (event) => {
      event.preventDefault();
      moderate("PUT", "slow-mode", { interval_ms: Number($("slow-seconds").value) * 1000 }, "slow mode");
    });
    $("chat-unpin").addEventListener("click", () => moderate("DELETE", "pin", undefined, "unpin message"));
    $("words-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const words = $("blocked-words").value.split(",").map((word) => word.trim()).filter(Boolean);
      moderate("PUT", "blocked-words", { words }, "blocked words");
    });
    $("deal-draw").addEventListener("click", async () => {
      const dealId = $("deal").value;
      if (!dealId) return;
      const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/deals/${encodeURIComponent(dealId)}/draw`, {
        method: "POST",
        headers: { authorization: `Bearer ${state.token}` },
      });
      const answer = await response.json().catch(() => null);
      if (response.ok) result(`draw ${dealId}: entries closed (${answer.entries} entered), drawing`);
      else result(`draw ${dealId} failed: ${answer?.error?.message || `HTTP ${response.status}`}`, true);
    });
    $("deal-end").addEventListener("click", () => {
      if ($("deal").value) sendCue({ kind: "deal_end", deal_id: $("deal").value }, "deal end");
    });
  }

  wire();
  setInterval(tick, 250);
  window.livebuyConsole = { state };
  if (state.token) signIn(state.token);
})();
