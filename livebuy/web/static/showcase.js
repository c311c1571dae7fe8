"use strict";
// The viewer's two shopping sheets: a product's details (close-ups, variants, quantity, Buy now /
// Add to bag) opened from its card, and "Shop the show" (every product shown so far, with when it
// was on stage and a jump into the replay, and the viewer's favourites). Both are bottom sheets
// over the video, which keeps playing. Server text is only set with textContent.
window.livebuyShowcase = (() => {
  const { el } = window.livebuyDom;
  const shop = window.livebuyShop;
  const MAX_QUANTITY = 10;

  function variantName(variant) {
    return [variant.size, variant.color].filter(Boolean).join(" · ") || "One size";
  }

  function priceLine(product, deal) {
    const price = el("p", { class: "price" });
    if (deal) {
      price.append(el("s", { "aria-label": `was ${shop.money(product.price)}` }, shop.money(product.price)));
      price.append(el("span", { class: "deal-price" }, shop.money(deal.deal_price)));
    } else {
      price.textContent = shop.money(product.price);
    }
    return price;
  }

  /**
   * A product's sheet. `context`: `{product, deal, available (sku -> units), sku (preselected),
   * urgency (text or ""), showId}`. Buying from here is the card's buying, with a quantity.
   */
  async function openProduct({ product, deal, available, sku, urgency, showId }) {
    const closeups = el("div", { class: "closeups", role: "group", "aria-label": `Close-ups of ${product.name}`, tabindex: "0" });
    for (const image of product.images) closeups.append(el("img", { src: image.url, alt: image.alt, width: "480", height: "360" }));
    const variants = el("fieldset", { class: "variants" });
    variants.append(el("legend", {}, "Size / colour"));
    let chosen = null;
    for (const variant of product.variants) {
      const left = available.has(variant.sku) ? available.get(variant.sku) : variant.stock;
      const id = `variant-${variant.sku}`;
      const radio = el("input", { type: "radio", name: "variant", id, value: variant.sku, disabled: left <= 0 });
      if (left > 0 && (chosen === null || variant.sku === sku)) chosen = variant.sku;
      const label = el("label", { for: id, class: "variant" });
      label.append(radio, el("span", {}, `${variantName(variant)} — ${left > 0 ? `${left} left` : "sold out"}`));
      variants.append(label);
    }
    if (chosen) variants.querySelector(`input[value="${CSS.escape(chosen)}"]`).checked = true;
    const quantity = el("input", { id: "product-quantity", type: "number", min: "1", max: String(MAX_QUANTITY), value: "1", inputmode: "numeric" });
    const quantityLabel = el("label", { for: "product-quantity" }, "Quantity");
    quantityLabel.append(quantity);
    const nodes = [closeups, el("p", { class: "brand" }, product.brand), priceLine(product, deal)];
    if (urgency) nodes.push(el("p", { class: "urgency" }, urgency));
    if (product.description) nodes.push(el("p", { class: "description" }, product.description));
    nodes.push(variants, quantityLabel);
    const actions = [{ label: "Close", value: "close" }];
    if (chosen) {
      actions.push({ label: "Add to bag", value: "bag", ariaLabel: `Add to bag: ${product.name}` });
      actions.push({ label: "Buy now", value: "buy", primary: true, ariaLabel: `Buy now from the sheet: ${product.name}` });
    }
    const choice = await shop.sheet(product.name, nodes, actions);
    const picked = variants.querySelector("input:checked")?.value;
    const count = Math.min(MAX_QUANTITY, Math.max(1, Math.floor(Number(quantity.value)) || 1));
    if (!picked) return null;
    const variant = product.variants.find((candidate) => candidate.sku === picked);
    if (choice === "bag") await shop.addToCart(picked, product.name, count);
    if (choice === "buy") return shop.buyNow({ product, sku: picked, variantName: variantName(variant), deal, showId, quantity: count });
    return null;
  }

  function clock(ms) {
    return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function heart(product, favorites) {
    const on = favorites.has(product.id);
    return el("button", { type: "button", class: "favorite", "data-product-id": product.id, "aria-pressed": String(on), "aria-label": `Favourite ${product.name}` }, on ? "♥" : "♡");
  }

  /**
   * "Shop the show". `context`: `{showId, show, shown (product_id -> {product, at}), favorites
   * (Set), toggleFavorite(productId, on) -> Promise<bool>}`. `at` is the program time the product
   * went on stage (the cue's `at`, the video's program clock), which the replay seeks to.
   */
  async function openShop(context, tab = "show") {
    const { showId, show, shown, favorites } = context;
    const tabs = el("div", { class: "tabs", role: "tablist", "aria-label": "Shop the show" });
    const panels = [];
    const select = (name) => {
      for (const button of tabs.children) button.setAttribute("aria-selected", String(button.dataset.tab === name));
      for (const button of tabs.children) button.tabIndex = button.dataset.tab === name ? 0 : -1;
      for (const panel of panels) panel.hidden = panel.dataset.tab !== name;
    };
    for (const [name, label] of [["show", "In this show"], ["favourites", "Favourites"]]) {
      const button = el("button", { type: "button", role: "tab", id: `tab-${name}`, "data-tab": name, "aria-controls": `panel-${name}` }, label);
      button.addEventListener("click", () => select(name));
      tabs.append(button);
    }
    tabs.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      const next = [...tabs.children].find((button) => button.getAttribute("aria-selected") !== "true");
      select(next.dataset.tab);
      next.focus();
    });

    const showPanel = el("div", { role: "tabpanel", id: "panel-show", "aria-labelledby": "tab-show", "data-tab": "show" });
    const items = [...shown.values()].sort((a, b) => a.at - b.at);
    const list = el("ul", { class: "shown" });
    for (const { product, at } of items) {
      const item = el("li", { class: "shown-item", "data-product-id": product.id, "data-at": String(at) });
      const text = el("div", { class: "shown-text" });
      const since = show && show.starts_at_ms ? at - show.starts_at_ms : null;
      text.append(
        el("span", { class: "shown-name" }, product.name),
        el("span", { class: "shown-meta" }, `${shop.money(product.price)} · on stage at ${clock(at)}${since !== null && since >= 60000 ? ` (${Math.floor(since / 60000)} min in)` : ""}`),
      );
      const watch = el("a", { class: "watch", href: `/replay/${encodeURIComponent(showId)}?t=${at}`, "aria-label": `Watch that moment: ${product.name}` }, "Watch that moment");
      item.append(text, heart(product, favorites), watch);
      list.append(item);
    }
    showPanel.append(items.length ? list : el("p", {}, "Products appear here once they are on stage."));

    const favouritesPanel = el("div", { role: "tabpanel", id: "panel-favourites", "aria-labelledby": "tab-favourites", "data-tab": "favourites" });
    const favouriteList = el("ul", { class: "shown favourites" });
    for (const productId of favorites) {
      const product = shown.get(productId)?.product || (await shop.api("GET", `/api/catalog/products/${encodeURIComponent(productId)}`).catch(() => null));
      if (!product) continue;
      const item = el("li", { class: "shown-item", "data-product-id": product.id });
      const text = el("div", { class: "shown-text" });
      text.append(el("span", { class: "shown-name" }, product.name), el("span", { class: "shown-meta" }, shop.money(product.price)));
      item.append(text, heart(product, favorites));
      favouriteList.append(item);
    }
    favouritesPanel.append(favouriteList.children.length ? favouriteList : el("p", {}, "Tap ♡ on a product to keep it here."));
    panels.push(showPanel, favouritesPanel);

    const onHeart = async (event) => {
      const button = event.target.closest("button.favorite");
      if (!button) return;
      const on = button.getAttribute("aria-pressed") !== "true";
      const saved = await context.toggleFavorite(button.dataset.productId, on);
      for (const twin of document.querySelectorAll(`#sheet button.favorite[data-product-id="${CSS.escape(button.dataset.productId)}"]`)) {
        twin.setAttribute("aria-pressed", String(saved));
        twin.textContent = saved ? "♥" : "♡";
      }
    };
    for (const panel of panels) panel.addEventListener("click", onHeart);
    select(tab);
    await shop.sheet("Shop the show", [tabs, ...panels], [{ label: "Close", value: "close" }]);
  }

  return { openProduct, openShop, variantName };
})();
