"use strict";
// A show's websocket, shared by the viewer page and the console. It resumes where it left off
// (`since`/`epoch`, so a drop misses no frame) and retries with capped exponential backoff and
// jitter, so viewers dropped together by one server restart do not all come back at once.
// Browsers never show websocket pings to the page, so a dead connection (a phone that lost its
// network, a stalled proxy) would look live forever: the link sends an application `ping` every
// 5 s and gives the socket up when nothing at all arrived for 10 s. The pongs also tell the
// server's clock (see serverNow).
window.livebuySocket = (() => {
  const RETRY_MIN_MS = 250;
  const RETRY_MAX_MS = 5000;
  const HEARTBEAT_MS = 5000;
  const SILENCE_MS = 10000;
  const WATCH_MS = 500;
  const CLOCK_SAMPLES = 8;
  // The reconnect hint of a 1012 close reason ("restarting: reconnect in 1234 ms").
  const RECONNECT_HINT = /reconnect in (\d+) ms/;

  // Offset of the server's wall clock from this browser's (server = Date.now() + offset).
  const clock = { offset: 0, samples: [], floor: null };

  /**
   * Learn from a frame: its `ts` is server time at sending, so `ts - now` is a lower bound of the
   * offset; a pong also has the ping's send time, which bounds it within the round trip.
   */
  function learnClock(frame, receivedAt) {
    if (typeof frame.ts !== "number") return;
    const sent = frame.type === "pong" && frame.data && typeof frame.data.t === "number" ? frame.data.t : null;
    if (sent === null) {
      // Until a pong measures the round trip, the highest lower bound is the best guess.
      clock.floor = Math.max(clock.floor ?? -Infinity, frame.ts - receivedAt);
      if (clock.samples.length === 0) clock.offset = clock.floor;
      return;
    }
    clock.samples.push({ rtt: receivedAt - sent, offset: frame.ts - (sent + receivedAt) / 2 });
    if (clock.samples.length > CLOCK_SAMPLES) clock.samples.shift();
    // The fastest round trip bounds the offset most tightly.
    const best = clock.samples.reduce((a, b) => (b.rtt < a.rtt ? b : a));
    clock.offset = best.offset;
  }

  /** The server's wall clock now, in ms since the epoch, as well as this page can tell. */
  function serverNow() {
    return Date.now() + clock.offset;
  }

  /**
   * A link to `/ws/shows/{showId}` that reconnects until `close()`; `connect()` opens it.
   *
   * options:
   * - `params`: extra query parameters (the console's `role`).
   * - `resume()`: `{since, epoch}` of the last frame applied; both set resumes, else a snapshot.
   * - `onFrame(frame)`: every frame, parsed.
   * - `onOpen(socket)`: the socket is open.
   * - `onClose(event)`: the socket closed without `close()`; return false to stay closed.
   */
  function create(showId, { params = {}, resume, onFrame, onOpen, onClose }) {
    let socket = null;
    let url = null;
    let held = false;
    let backoffMs = RETRY_MIN_MS;
    let lastHeard = 0; // performance.now() of the last frame (or of opening) on the socket
    let heartbeat = null;

    function stopHeartbeat() {
      clearInterval(heartbeat);
      heartbeat = null;
    }

    function ping(target) {
      if (target.readyState === WebSocket.OPEN) target.send(JSON.stringify({ type: "ping", data: { t: Date.now() } }));
    }

    /** Nothing for SILENCE_MS: give the socket up without waiting for a close that may never come. */
    function watch(current) {
      if (socket !== current || performance.now() - lastHeard < SILENCE_MS) return;
      current.onclose = null;
      current.onmessage = null;
      current.onopen = null;
      current.close(4000, "no frame for 10 s");
      lost(current, { code: 4000, reason: "no frame for 10 s", wasClean: false });
    }

    function lost(current, event) {
      if (socket !== current) return;
      socket = null;
      stopHeartbeat();
      if (held || onClose(event) === false) return;
      // A draining gateway (1012) says when to come back: its random delay spreads the viewers
      // it drops; they resume elsewhere with `since`, so waiting costs no frame.
      const hint = event.code === 1012 ? RECONNECT_HINT.exec(event.reason || "") : null;
      const delay = hint ? Number(hint[1]) : backoffMs * (0.5 + Math.random() / 2);
      if (!hint) backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
      setTimeout(() => {
        if (!held && socket === null) connect();
      }, delay);
    }

    function connect() {
      held = false;
      const query = new URLSearchParams(params);
      const { since, epoch } = resume();
      if (since !== null && epoch !== null) {
        query.set("since", String(since));
        query.set("epoch", epoch);
      }
      const scheme = location.protocol === "https:" ? "wss" : "ws";
      const base = `${scheme}://${location.host}/ws/shows/${encodeURIComponent(showId)}`;
      const search = query.toString();
      url = search ? `${base}?${search}` : base;
      const current = new WebSocket(url);
      socket = current;
      stopHeartbeat();
      // A handshake that never completes counts as silence too.
      lastHeard = performance.now();
      let pinged = -Infinity;
      heartbeat = setInterval(() => {
        if (current.readyState === WebSocket.OPEN && performance.now() - pinged >= HEARTBEAT_MS) {
          ping(current);
          pinged = performance.now();
        }
        watch(current);
      }, WATCH_MS);
      current.onopen = () => {
        backoffMs = RETRY_MIN_MS;
        lastHeard = performance.now();
        // The owner's first frame goes first: a console's socket must open with its auth frame.
        onOpen(current);
        ping(current);
        pinged = performance.now();
      };
      current.onmessage = (event) => {
        lastHeard = performance.now();
        const frame = JSON.parse(event.data);
        learnClock(frame, Date.now());
        onFrame(frame);
      };
      // A socket this link already replaced says nothing about the link.
      current.onclose = (event) => lost(current, event);
    }

    /** Close the socket and stay closed until `connect()`. */
    function close(code, reason) {
      held = true;
      stopHeartbeat();
      if (socket) socket.close(code, reason);
    }

    return {
      connect,
      close,
      get socket() {
        return socket;
      },
      get url() {
        return url;
      },
    };
  }

  /** Show the connection pill (`#connection` on both pages) with a state class and a text. */
  function setConnection(className, text) {
    const pill = document.getElementById("connection");
    pill.className = `pill ${className}`.trim();
    pill.textContent = text;
  }

  return { create, setConnection, serverNow, clock };
})();
