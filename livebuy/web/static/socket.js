"use strict";
// A show's websocket, shared by the viewer page and the console. It resumes where it left off
// (`since`/`epoch`, so a drop misses no frame) and retries with capped exponential backoff and
// jitter, so viewers dropped together by one server restart do not all come back at once.
window.livebuySocket = (() => {
  const RETRY_MIN_MS = 250;
  const RETRY_MAX_MS = 5000;

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
      current.onopen = () => {
        backoffMs = RETRY_MIN_MS;
        onOpen(current);
      };
      current.onmessage = (event) => onFrame(JSON.parse(event.data));
      current.onclose = (event) => {
        // A socket this link already replaced says nothing about the link.
        if (socket !== current) return;
        socket = null;
        if (held || onClose(event) === false) return;
        const delay = backoffMs * (0.5 + Math.random() / 2);
        backoffMs = Math.min(backoffMs * 2, RETRY_MAX_MS);
        setTimeout(() => {
          if (!held && socket === null) connect();
        }, delay);
      };
    }

    /** Close the socket and stay closed until `connect()`. */
    function close(code, reason) {
      held = true;
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

  return { create, setConnection };
})();
