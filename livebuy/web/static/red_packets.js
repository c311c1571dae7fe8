// Red-packet rain on the viewer page: packets fall over the video while a rain is open; a tap on
// one (or a shake, where the phone allows DeviceMotion) grabs a packet once; the result and the
// amount show on the rain, and the rain's live counts come from `red_packets_update` frames.
// Mounted into #overlays. Server text is only set with textContent.
"use strict";

window.livebuyRedPackets = (() => {
  const { $, el } = window.livebuyDom;
  const SHAKE = 25; // m/s² of acceleration that counts as a shake
  const FALLING = 12;
  const rains = new Map(); // rain_id -> {rain, node, counts, result}
  let motionAsked = false;
  let frameShow = null; // the snapshot's show id, when the page does not say

  function serverNow() {
    return window.livebuySocket.serverNow ? window.livebuySocket.serverNow() : Date.now();
  }

  function showId() {
    return window.livebuy?.state?.showId || (frameShow ?? "");
  }

  function layer() {
    let node = $("overlays");
    if (!node) {
      node = el("div", { id: "overlays", class: "overlays" });
      document.querySelector(".stage")?.append(node);
    }
    return node;
  }

  function open(rain) {
    if (rains.has(rain.rain_id) || rain.ends_at <= serverNow()) return;
    const status = el("p", { class: "rain-status" }, "Red packets! Tap one to grab it.");
    const counts = el("p", { class: "rain-counts" }, `${rain.count - (rain.granted || 0)} of ${rain.count} left`);
    const sky = el("div", { class: "rain-sky", "data-rain": rain.rain_id });
    for (let index = 0; index < FALLING; index++) {
      const packet = el("button", { type: "button", class: "rain-packet", "aria-label": "Grab a red packet" });
      packet.style.left = `${(index * 83) % 92}%`;
      packet.style.animationDelay = `${(index % 6) * 0.35}s`;
      packet.addEventListener("click", () => grab(rain.rain_id));
      sky.append(packet);
    }
    const node = el("section", { class: "rain", "aria-label": "Red-packet rain" });
    node.append(sky, status, counts);
    layer().append(node);
    rains.set(rain.rain_id, { rain, node, status, counts, result: null });
    listenForShakes();
    setTimeout(() => close(rain.rain_id), Math.max(0, rain.ends_at - serverNow()) + 3000);
  }

  function close(rainId) {
    const entry = rains.get(rainId);
    if (!entry) return;
    entry.node.remove();
    rains.delete(rainId);
  }

  async function grab(rainId) {
    const entry = rains.get(rainId);
    if (!entry || entry.result) return;
    entry.result = "pending";
    const money = window.livebuyShop.money;
    try {
      const packet = await window.livebuyShop.api("POST", `/api/shows/${encodeURIComponent(showId())}/red-packets/${encodeURIComponent(rainId)}/grab`);
      entry.result = packet;
      entry.status.textContent = `You got ${money({ amount: packet.amount, currency: packet.currency })}! It is in your wallet.`;
      entry.node.classList.add("rain-won");
    } catch (error) {
      entry.result = error.code || "error";
      const words = {
        already_grabbed: "You already have a packet from this rain.",
        rain_empty: "All packets are gone. Next time!",
        rain_closed: "This rain is over.",
        unknown_rain: "This rain is over.",
      };
      entry.status.textContent = words[error.code] || window.livebuyWords.sentence(error.code);
      entry.node.classList.add("rain-missed");
    }
  }

  /** A shake grabs in every open rain; iOS asks for permission on the first tap. */
  function listenForShakes() {
    if (motionAsked || typeof DeviceMotionEvent === "undefined") return;
    motionAsked = true;
    const listen = () =>
      window.addEventListener("devicemotion", (event) => {
        const a = event.accelerationIncludingGravity;
        if (!a) return;
        if (Math.hypot(a.x || 0, a.y || 0, a.z || 0) > SHAKE) for (const id of rains.keys()) grab(id);
      });
    if (typeof DeviceMotionEvent.requestPermission === "function") {
      document.addEventListener("click", () => DeviceMotionEvent.requestPermission().then((answer) => answer === "granted" && listen()).catch(() => {}), { once: true });
    } else {
      listen();
    }
  }

  function update(data) {
    const entry = rains.get(data.rain_id);
    if (!entry) return;
    const left = data.count - data.granted;
    entry.counts.textContent = data.final ? `Rain over: ${data.granted} of ${data.count} packets grabbed` : `${left} of ${data.count} left`;
    if (data.final) setTimeout(() => close(data.rain_id), 3000);
  }

  /** Called by the viewer page for every frame (a one-line hook); ignores what is not ours. */
  function onFrame(frame) {
    if (frame.type === "snapshot") {
      frameShow = frame.data.show?.id ?? frameShow;
      for (const rain of frame.data.red_packets || []) open(rain);
    }
    else if (frame.type === "cue" && frame.data.kind === "red_packets") open(frame.data);
    else if (frame.type === "red_packets_update") update(frame.data);
  }

  return { onFrame, grab };
})();
