// The viewer's shopping: guest session, saved guest profile with a demo card, one-tap buy with a
// confirmation sheet, cart, favorites, orders. Server text is only set with textContent.
"use strict";

window.livebuyShop = (() => {
  const SESSION_KEY = "livebuy.session";
  const PROFILE_KEY = "livebuy.profile";
  const DEMO_CARD = { card_number: "4242424242424242", expiry_month: 12, expiry_year: 2030, cvc: "123" };

  const { $, el } = window.livebuyDom;

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

  function randomKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  /** The show this page watches: orders name it, so the producer's dashboard counts the sale. */
  function watchedShow() {
    return window.livebuy?.state?.showId || null;
  }

  // ---- session and API -----------------------------------------------------------------------

  async function sessionToken() {
    const stored = localStorage.getItem(SESSION_KEY);
    if (stored) return JSON.parse(stored).token;
    const profile = loadProfile();
    const response = await fetch("/api/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(profile ? { display_name: profile.name } : {}),
    });
    if (!response.ok) throw new Error("could not start a guest session");
    const session = await response.json();
    localStorage.setItem(SESSION_KEY, JSON.stringify({ token: session.token, display_name: session.display_name }));
    return session.token;
  }

  /** Call the API as this viewer; a 401 (expired session) starts a new session once. */
  async function api(method, url, body = undefined, headers = {}, retried = false) {
    const token = await sessionToken();
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && !retried) {
      localStorage.removeItem(SESSION_KEY);
      return api(method, url, body, headers, true);
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) throw new Error(answer?.error?.message || `HTTP ${response.status}`);
    return answer;
  }

  // ---- the sheet -----------------------------------------------------------------------------

  /** Show the bottom sheet; resolves with the value of the button that closed it. */
  function sheet(title, nodes, actions) {
    const dialog = $("sheet");
    $("sheet-title").textContent = title;
    $("sheet-body").replaceChildren(...nodes);
    $("sheet-actions").replaceChildren(
      ...actions.map((action) =>
        el("button", { value: action.value, class: action.primary ? "primary" : null, formnovalidate: action.primary ? null : "" }, action.label),
      ),
    );
    dialog.returnValue = "";
    return new Promise((resolve) => {
      dialog.onclose = () => resolve(dialog.returnValue);
      dialog.showModal();
    });
  }

  function loadProfile() {
    const raw = localStorage.getItem(PROFILE_KEY);
    return raw ? JSON.parse(raw) : null;
  }

  async function askProfile() {
    const name = el("input", { id: "profile-name", name: "name", required: "", maxlength: "40", autocomplete: "name" });
    const card = el("input", { id: "profile-card", name: "card", required: "", inputmode: "numeric", pattern: "[0-9 ]{12,23}", autocomplete: "cc-number" });
    card.value = DEMO_CARD.card_number;
    const nameLabel = el("label", { for: "profile-name" }, "Name");
    const cardLabel = el("label", { for: "profile-card" }, "Card (demo: 4242 4242 4242 4242 is approved)");
    nameLabel.append(name);
    cardLabel.append(card);
    const choice = await sheet("Save your guest profile", [nameLabel, cardLabel], [
      { label: "Not now", value: "cancel" },
      { label: "Save", value: "save", primary: true },
    ]);
    if (choice !== "save") return null;
    const profile = { name: name.value.trim(), card: { ...DEMO_CARD, card_number: card.value.replace(/\s+/g, "") } };
    localStorage.setItem(PROFILE_KEY, JSON.stringify(profile));
    return profile;
  }

  // ---- buying --------------------------------------------------------------------------------

  /** One tap: confirm in a sheet, then order and pay with the saved profile's card. */
  async function buyNow({ product, sku, variantName, deal, showId }) {
    const profile = loadProfile() || (await askProfile());
    if (!profile) return null;
    const price = deal ? deal.deal_price : product.price;
    const last4 = profile.card.card_number.slice(-4);
    const lines = [
      el("p", {}, `${product.brand} ${product.name}`),
      el("p", {}, `${variantName} · 1 × ${money(price)}${deal ? " (flash deal)" : ""}`),
      el("p", {}, `Pay with card •••• ${last4}, for ${profile.name}`),
    ];
    const choice = await sheet("Buy now", lines, [
      { label: "Cancel", value: "cancel" },
      { label: `Pay ${money(price)}`, value: "buy", primary: true },
    ]);
    if (choice !== "buy") return null;
    try {
      const show = showId || watchedShow();
      const body = { sku, quantity: 1, ...(show ? { show_id: show } : {}), ...(deal ? { deal_id: deal.deal_id } : {}) };
      const order = await api("POST", "/api/orders", body, { "Idempotency-Key": randomKey() });
      const paid = await api("POST", `/api/orders/${encodeURIComponent(order.id)}/pay`, profile.card);
      toast(`Order ${paid.status === "paid" ? "placed" : paid.status}: ${product.name}`);
      await refreshBagCount();
      return paid;
    } catch (error) {
      toast(`Could not buy: ${error.message}`);
      return null;
    }
  }

  async function addToCart(sku, name) {
    try {
      const cart = await api("GET", "/api/cart");
      const line = cart.items.find((item) => item.sku === sku);
      const updated = await api("PUT", `/api/cart/items/${encodeURIComponent(sku)}`, { quantity: (line ? line.quantity : 0) + 1 });
      setBagCount(updated.items.reduce((sum, item) => sum + item.quantity, 0));
      toast(`Added to cart: ${name}`);
    } catch (error) {
      toast(`Could not add to cart: ${error.message}`);
    }
  }

  async function toggleFavorite(productId, on) {
    try {
      await api(on ? "PUT" : "DELETE", `/api/favorites/${encodeURIComponent(productId)}`);
      return on;
    } catch (error) {
      toast(`Could not save the favorite: ${error.message}`);
      return !on;
    }
  }

  function setBagCount(count) {
    $("bag-count").textContent = String(count);
  }

  async function refreshBagCount() {
    if (!localStorage.getItem(SESSION_KEY)) return;
    const cart = await api("GET", "/api/cart");
    setBagCount(cart.items.reduce((sum, item) => sum + item.quantity, 0));
  }

  /** The bag: cart lines with checkout, and recent orders with their status and cancel. */
  async function openBag() {
    let cart;
    let orders;
    try {
      [cart, orders] = await Promise.all([api("GET", "/api/cart"), api("GET", "/api/orders")]);
    } catch (error) {
      toast(`Could not open the bag: ${error.message}`);
      return;
    }
    const nodes = [el("h3", {}, "Cart")];
    const list = el("ul", { class: "cart-lines" });
    for (const item of cart.items) list.append(el("li", {}, `${item.quantity} × ${item.name} — ${money(item.unit_price)}`));
    nodes.push(cart.items.length ? list : el("p", {}, "Your cart is empty."));
    if (cart.total) nodes.push(el("p", {}, `Total ${money(cart.total)}`));
    nodes.push(el("h3", {}, "Orders"));
    const orderList = el("ul", { class: "orders" });
    for (const order of orders.items) {
      const item = el("li", { class: "order", "data-order-id": order.id });
      item.append(el("span", {}, `${order.lines.map((line) => line.name).join(", ")} — ${money(order.total)} — ${order.status.replace("_", " ")}`));
      if (order.status === "paid" || order.status === "pending_payment") {
        item.append(el("button", { value: `cancel:${order.id}`, formnovalidate: "" }, "Cancel"));
      }
      orderList.append(item);
    }
    nodes.push(orders.items.length ? orderList : el("p", {}, "No orders yet."));
    const actions = [{ label: "Close", value: "close" }];
    if (cart.items.length) actions.push({ label: "Checkout", value: "checkout", primary: true });
    const choice = await sheet("Your bag", nodes, actions);
    if (choice === "checkout") await checkout();
    if (choice.startsWith("cancel:")) {
      try {
        await api("POST", `/api/orders/${encodeURIComponent(choice.slice(7))}/cancel`);
        toast("Order cancelled");
      } catch (error) {
        toast(`Could not cancel: ${error.message}`);
      }
      await openBag();
    }
  }

  async function checkout() {
    const profile = loadProfile() || (await askProfile());
    if (!profile) return;
    try {
      const show = watchedShow();
      const body = { from_cart: true, ...(show ? { show_id: show } : {}) };
      const order = await api("POST", "/api/orders", body, { "Idempotency-Key": randomKey() });
      const paid = await api("POST", `/api/orders/${encodeURIComponent(order.id)}/pay`, profile.card);
      toast(`Order ${paid.status === "paid" ? "placed" : paid.status}`);
      await refreshBagCount();
    } catch (error) {
      toast(`Checkout failed: ${error.message}`);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("open-bag").addEventListener("click", openBag);
    refreshBagCount().catch(() => {});
  });

  return { api, sessionToken, buyNow, addToCart, toggleFavorite, openBag, toast, money };
})();
