// The viewer's chat and reactions over the show socket: own messages at once (chat_ack), batched
// messages from everyone, sampled floods shown with counts, deletions, the pinned message.
"use strict";

window.livebuyChat = (() => {
  const KEPT = 100;
  const EMOJI = { heart: "❤️", fire: "🔥", clap: "👏", laugh: "😂", wow: "😮" };
  const shop = window.livebuyShop;
  const { $, el } = window.livebuyDom;
  let socket = null;
  let authed = false;

  function send(type, data) {
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      shop.toast("Not connected: try again in a moment.");
      return false;
    }
    socket.send(JSON.stringify({ type, data }));
    return true;
  }

  /** Chatting needs a session: the first message (or reaction) creates one and authenticates. */
  async function ensureAuthed() {
    if (authed) return true;
    const token = await shop.sessionToken();
    authed = send("auth", { token });
    return authed;
  }

  function addMessage(message, own = false) {
    const log = $("chat-log");
    const shown = log.querySelector(`[data-message-id="${CSS.escape(message.id)}"]`);
    if (shown) {
      // The batch carrying this message may arrive before its ack: the ack still marks it ours.
      if (own) shown.classList.add("own");
      return;
    }
    const item = el("li", { "data-message-id": message.id, class: own ? "own" : null });
    item.append(el("span", { class: "who" }, message.author.display_name), el("span", {}, message.text));
    log.append(item);
    while (log.children.length > KEPT) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  function showPinned(message) {
    const pinned = $("chat-pinned");
    pinned.hidden = !message;
    pinned.textContent = message ? `📌 ${message.author.display_name}: ${message.text}` : "";
  }

  function showMode(slowModeMs) {
    $("chat-mode").textContent = slowModeMs ? `Slow mode: one message every ${Math.round(slowModeMs / 1000)} s` : "";
  }

  function burst(kind) {
    const button = document.querySelector(`.reactions [data-kind="${CSS.escape(kind)}"]`);
    if (!button) return;
    const box = button.getBoundingClientRect();
    const node = el("span", { class: "reaction-burst", "aria-hidden": "true" }, EMOJI[kind] || "✨");
    node.style.left = `${box.left + box.width / 4}px`;
    node.style.top = `${box.top - 8}px`;
    document.body.append(node);
    node.addEventListener("animationend", () => node.remove());
  }

  /** The socket (re)opened: re-authenticate if this viewer has a session already. */
  function attach(newSocket) {
    socket = newSocket;
    authed = false;
    if (localStorage.getItem("livebuy.session")) ensureAuthed();
  }

  function onSnapshot(chat) {
    if (!chat) return;
    $("chat-log").replaceChildren();
    for (const message of chat.messages) addMessage(message);
    showPinned(chat.pinned);
    showMode(chat.slow_mode_ms);
  }

  /** Handle a chat-related frame; answers whether it was one. */
  function onFrame(frame) {
    const data = frame.data;
    switch (frame.type) {
      case "chat_ack":
        addMessage(data, true);
        return true;
      case "chat":
        for (const message of data.messages) addMessage(message);
        if (data.sampled) {
          const hidden = data.count - data.messages.length;
          $("chat-log").append(el("li", { class: "sampled" }, `+${hidden} more messages`));
        }
        return true;
      case "chat_delete":
        document.querySelector(`#chat-log [data-message-id="${CSS.escape(data.id)}"]`)?.remove();
        return true;
      case "chat_pin":
        showPinned(data.message);
        return true;
      case "chat_mode":
        showMode(data.slow_mode_ms);
        return true;
      case "reactions":
        for (const [kind, count] of Object.entries(data.counts)) {
          for (let i = 0; i < Math.min(count, 3); i += 1) burst(kind);
        }
        $("reaction-totals").textContent = Object.entries(data.totals)
          .map(([kind, total]) => `${EMOJI[kind] || kind} ${total}`)
          .join("  ");
        return true;
      default:
        return false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("chat-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = $("chat-text");
      const text = input.value.trim();
      if (!text || !(await ensureAuthed())) return;
      if (send("chat", { text })) input.value = "";
    });
    document.querySelector(".reactions").addEventListener("click", async (event) => {
      const button = event.target.closest("button[data-kind]");
      if (!button || !(await ensureAuthed())) return;
      if (send("react", { kind: button.dataset.kind })) burst(button.dataset.kind);
    });
  });

  return { attach, onSnapshot, onFrame, ensureAuthed };
})();
