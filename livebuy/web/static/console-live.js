// Console additions: live stock of the pinned products (from the snapshot's cards and `stock`
// frames), units bought in the last minute (`sales_velocity` frames) and a muted, phone-sized
// preview of the viewer page. console.js hands every frame to onFrame. Server text only ever
// goes in through textContent.
"use strict";

window.livebuyConsoleLive = (() => {
  const PREVIEW_KEY = "livebuy.consolePreview";
  const { $, el } = window.livebuyDom;
  // product id -> sku -> units available now
  const stock = new Map();
  let velocity = {};

  function consoleState() {
    return window.livebuyConsole?.state;
  }

  function learnCard(product) {
    if (!product || !Array.isArray(product.stock)) return;
    stock.set(product.id, new Map(product.stock.map((line) => [line.sku, line.available])));
  }

  function onFrame(frame) {
    const data = frame.data || {};
    if (frame.type === "snapshot") {
      stock.clear();
      for (const pin of data.pinned || []) learnCard(pin.product);
      velocity = data.sales_velocity ? data.sales_velocity.products : {};
    } else if (frame.type === "cue" && data.kind === "pin") {
      learnCard(data.product);
    } else if (frame.type === "stock") {
      stock.set(data.product_id, new Map(data.stock.map((line) => [line.sku, line.available])));
    } else if (frame.type === "sales_velocity") {
      velocity = data.products;
    } else if (frame.type !== "cue") {
      return;
    }
    render();
  }

  function variantName(variant) {
    return [variant.size, variant.color].filter(Boolean).join(" · ") || variant.sku;
  }

  function render() {
    const state = consoleState();
    if (!state) return;
    const rows = [];
    for (const product of state.pins.values()) {
      const levels = stock.get(product.id) || new Map();
      const sizes = el("td", { class: "sizes" });
      let total = 0;
      for (const variant of product.variants || []) {
        const left = levels.get(variant.sku) ?? 0;
        total += left;
        const text = left > 0 ? `${variantName(variant)} ${left}` : `${variantName(variant)} sold out`;
        sizes.append(el("span", { class: left > 0 ? "size" : "size sold-out", "data-sku": variant.sku }, text), " ");
      }
      const bought = velocity[product.id] || 0;
      const row = el("tr", { "data-product-id": product.id });
      row.append(
        el("td", {}, product.name),
        sizes,
        el("td", { class: total > 0 ? "left" : "left sold-out" }, total > 0 ? String(total) : "sold out"),
        el("td", { class: bought > 0 ? "velocity" : "" }, bought > 0 ? `${bought} bought` : "–"),
      );
      rows.push(row);
    }
    if (!rows.length) {
      const empty = el("tr");
      empty.append(el("td", { colspan: "4" }, "Nothing pinned."));
      rows.push(empty);
    }
    $("pinned-stock").replaceChildren(...rows);
  }

  // ---- preview -------------------------------------------------------------------------------

  // Off until asked for: the preview is a real viewer page, counted among the show's viewers.
  function previewOn() {
    return localStorage.getItem(PREVIEW_KEY) === "on";
  }

  /** The viewer page of the open show in the iframe, or nothing (no stream, no socket) when off. */
  function showPreview() {
    const state = consoleState();
    const on = previewOn();
    const button = $("preview-toggle");
    button.setAttribute("aria-pressed", String(on));
    button.textContent = on ? "Hide preview" : "Show preview";
    $("preview-phone").hidden = !on;
    const frame = $("preview");
    const url = on && state?.showId ? `/shows/${encodeURIComponent(state.showId)}` : "about:blank";
    if (frame.getAttribute("src") !== url) frame.setAttribute("src", url);
  }

  /** Mute every video the preview plays, whenever the page creates or starts one. */
  function mutePreview() {
    const frame = $("preview");
    let doc;
    try {
      doc = frame.contentDocument;
    } catch {
      return;
    }
    if (!doc) return;
    for (const video of doc.querySelectorAll("video, audio")) video.muted = true;
    doc.addEventListener("play", (event) => { event.target.muted = true; }, true);
    doc.addEventListener("volumechange", (event) => { if (!event.target.muted) event.target.muted = true; }, true);
  }

  function openShow() {
    stock.clear();
    velocity = {};
    render();
    showPreview();
  }

  $("preview").addEventListener("load", mutePreview);
  $("preview-toggle").addEventListener("click", () => {
    localStorage.setItem(PREVIEW_KEY, previewOn() ? "off" : "on");
    showPreview();
  });

  return { onFrame, openShow, stock, get velocity() { return velocity; } };
})();
