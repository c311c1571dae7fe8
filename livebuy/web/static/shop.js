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
    const toasts = $("toasts");
    toasts.append(node);
    keepClearOfTyping(toasts);
    setTimeout(() => node.remove(), 4000);
  }

  /**
   * Toasts never cover the field the viewer is typing in: they sit at one end of the screen and
   * move to the other when the focused input (chat at the bottom, a sheet's card field) is there.
   */
  function keepClearOfTyping(toasts) {
    const field = document.activeElement;
    if (!field || !field.matches("input, textarea, select")) return;
    const box = field.getBoundingClientRect();
    const covers = () => {
      const area = toasts.getBoundingClientRect();
      return area.bottom > box.top && area.top < box.bottom && area.right > box.left && area.left < box.right;
    };
    if (covers()) toasts.classList.toggle("flipped");
    if (covers()) toasts.classList.toggle("flipped");
  }

  /** The viewer's sentence for a failed call (words.js); the server's message is for developers. */
  function explain(error) {
    const words = window.livebuyWords;
    return words ? words.sentence(error.code, error.message) : error.message;
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

  /** `fetch`, with a dead network as an error the viewer can read (code `network`) instead of
   * the browser's own words ("Failed to fetch"). */
  async function send(url, init) {
    try {
      return await fetch(url, init);
    } catch {
      const error = new Error("no connection");
      error.code = "network";
      throw error;
    }
  }

  async function sessionToken() {
    const stored = localStorage.getItem(SESSION_KEY);
    if (stored) return JSON.parse(stored).token;
    const profile = loadProfile();
    const response = await send("/api/sessions", {
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
    const response = await send(url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401 && !retried) {
      localStorage.removeItem(SESSION_KEY);
      return api(method, url, body, headers, true);
    }
    const answer = await response.json().catch(() => null);
    if (!response.ok) {
      const error = new Error(answer?.error?.message || `HTTP ${response.status}`);
      error.code = answer?.error?.code || null;
      error.reason = answer?.error?.reason || null;
      error.status = response.status;
      throw error;
    }
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
        el("button", { value: action.value, class: action.primary ? "primary" : null, formnovalidate: action.primary ? null : "", "aria-label": action.ariaLabel || null }, action.label),
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

  function cardInput(value) {
    const card = el("input", { id: "profile-card", name: "card", required: "", inputmode: "numeric", pattern: "[0-9 ]{12,23}", autocomplete: "cc-number" });
    card.value = value;
    return card;
  }

  function saveCard(profile, number) {
    const saved = { ...profile, card: { ...DEMO_CARD, card_number: number.replace(/\s+/g, "") } };
    localStorage.setItem(PROFILE_KEY, JSON.stringify(saved));
    return saved;
  }

  /** The guest profile sheet: new, or the saved one to change (`current`). */
  async function askProfile(current = null) {
    const name = el("input", { id: "profile-name", name: "name", required: "", maxlength: "40", autocomplete: "name" });
    if (current) name.value = current.name;
    const card = cardInput(current ? current.card.card_number : DEMO_CARD.card_number);
    const nameLabel = el("label", { for: "profile-name" }, "Name");
    const cardLabel = el("label", { for: "profile-card" }, "Card (demo: 4242 4242 4242 4242 is approved)");
    nameLabel.append(name);
    cardLabel.append(card);
    const choice = await sheet(current ? "Change your card" : "Save your guest profile", [nameLabel, cardLabel], [
      { label: "Not now", value: "cancel" },
      { label: "Save", value: "save", primary: true },
    ]);
    if (choice !== "save") return null;
    return saveCard({ name: name.value.trim() }, card.value);
  }

  const PAYMENT_PROBLEMS = {
    payment_declined: (last4) => `Your card •••• ${last4} was declined. Nothing was charged: try another card.`,
    payment_timeout: (last4) => `The bank of card •••• ${last4} did not answer in time. Nothing was charged: try again or use another card.`,
  };

  /**
   * Pay an order, offering another card while the payment is declined or times out. Every try
   * pays the SAME order (its stock stays reserved); giving up cancels it, releasing the stock.
   * Resolves with the paid order, or null.
   */
  async function payOrder(order, profile, what) {
    let current = profile;
    for (;;) {
      try {
        return await api("POST", `/api/orders/${encodeURIComponent(order.id)}/pay`, current.card);
      } catch (error) {
        const problem = PAYMENT_PROBLEMS[error.code];
        if (!problem) throw error;
        const card = cardInput(current.card.card_number);
        const label = el("label", { for: "profile-card" }, "Card number");
        label.append(card);
        const choice = await sheet("Payment not completed", [el("p", { class: "problem" }, problem(current.card.card_number.slice(-4))), el("p", {}, what), label], [
          { label: "Cancel order", value: "cancel" },
          { label: `Pay ${money(order.total)}`, value: "pay", primary: true },
        ]);
        if (choice !== "pay") {
          await api("POST", `/api/orders/${encodeURIComponent(order.id)}/cancel`).catch(() => null);
          toast("Order cancelled: nothing was charged.");
          return null;
        }
        current = saveCard(current, card.value);
      }
    }
  }

  // ---- buying --------------------------------------------------------------------------------

  /** Store credit pays first when the viewer chose so in the wallet sheet (wallet.js). */
  function creditChoice() {
    return window.livebuyWallet?.useCredit() ? { use_credit: true } : {};
  }

  // What a failed buy means for the viewer, in words (the server's message is for developers).
  const BUY_PROBLEMS = {
    out_of_stock: "this size just sold out.",
    deal_not_active: "the flash deal has ended; the regular price applies again.",
    limit_exceeded: "you already have as many as the flash deal allows.",
  };
  const DEAL_SOLD_OUT = "the flash deal just sold out.";

  /** One tap: confirm in a sheet, then order and pay with the saved profile's card. */
  async function buyNow({ product, sku, variantName, deal, showId, quantity = 1 }) {
    const profile = loadProfile() || (await askProfile());
    if (!profile) return null;
    const price = deal ? deal.deal_price : product.price;
    const last4 = profile.card.card_number.slice(-4);
    const lines = [
      el("p", {}, `${product.brand} ${product.name}`),
      el("p", {}, `${variantName} · ${quantity} × ${money(price)}${deal ? " (flash deal)" : ""}`),
      el("p", {}, `Pay with card •••• ${last4}, for ${profile.name}`),
    ];
    const choice = await sheet("Buy now", lines, [
      { label: "Cancel", value: "cancel" },
      { label: `Pay ${money({ ...price, amount: price.amount * quantity })}`, value: "buy", primary: true },
    ]);
    if (choice !== "buy") return null;
    try {
      const show = showId || watchedShow();
      const body = { sku, quantity, ...(show ? { show_id: show } : {}), ...(deal ? { deal_id: deal.deal_id } : {}), ...creditChoice() };
      const order = await api("POST", "/api/orders", body, { "Idempotency-Key": randomKey() });
      const paid = await payOrder(order, profile, `${product.brand} ${product.name}, ${variantName}`);
      if (!paid) return null;
      toast(`Order ${paid.status === "paid" ? "placed" : paid.status}: ${product.name}`);
      await refreshBagCount();
      return paid;
    } catch (error) {
      // A deal's own units ran out (the server's reason), not the size: say which.
      const dealGone = error.code === "out_of_stock" && error.reason === "deal sold out";
      toast(`Could not buy: ${dealGone ? DEAL_SOLD_OUT : BUY_PROBLEMS[error.code] || explain(error)}`);
      return null;
    }
  }

  async function addToCart(sku, name, quantity = 1) {
    try {
      const cart = await api("GET", "/api/cart");
      const line = cart.items.find((item) => item.sku === sku);
      const show = watchedShow();
      const body = { quantity: (line ? line.quantity : 0) + quantity, ...(show ? { show_id: show } : {}) };
      const updated = await api("PUT", `/api/cart/items/${encodeURIComponent(sku)}`, body);
      setBagCount(updated.items.reduce((sum, item) => sum + item.quantity, 0));
      toast(`Added to cart: ${name}`);
    } catch (error) {
      toast(`Could not add to cart: ${explain(error)}`);
    }
  }

  async function toggleFavorite(productId, on) {
    try {
      await api(on ? "PUT" : "DELETE", `/api/favorites/${encodeURIComponent(productId)}`);
      return on;
    } catch (error) {
      toast(`Could not save the favorite: ${explain(error)}`);
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
      toast(`Could not open the bag: ${explain(error)}`);
      return;
    }
    setBagCount(cart.items.reduce((sum, item) => sum + item.quantity, 0));
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
    const profile = loadProfile();
    if (profile) {
      nodes.push(el("h3", {}, "Payment card"));
      const saved = el("div", { class: "saved-card" });
      saved.append(
        el("span", {}, `•••• ${profile.card.card_number.slice(-4)}, for ${profile.name}`),
        el("button", { value: "card-change", formnovalidate: "" }, "Change card"),
        el("button", { value: "card-remove", formnovalidate: "" }, "Remove card"),
      );
      nodes.push(saved);
    }
    const actions = [{ label: "Close", value: "close" }];
    if (cart.items.length) actions.push({ label: "Checkout", value: "checkout", primary: true });
    const choice = await sheet("Your bag", nodes, actions);
    if (choice === "checkout") await checkout();
    if (choice === "card-change") await askProfile(profile);
    if (choice === "card-remove") {
      localStorage.removeItem(PROFILE_KEY);
      toast("Card removed from this device.");
    }
    if (choice.startsWith("cancel:")) {
      const order = orders.items.find((candidate) => candidate.id === choice.slice(7));
      if (!(await confirmCancel(order))) {
        await openBag();
        return;
      }
      try {
        await api("POST", `/api/orders/${encodeURIComponent(choice.slice(7))}/cancel`);
        toast("Order cancelled");
      } catch (error) {
        toast(`Could not cancel: ${explain(error)}`);
      }
      await openBag();
    }
  }

  /** Cancelling an order asks first: it cannot be undone, and a paid order is refunded. */
  async function confirmCancel(order) {
    const what = order ? `${order.lines.map((line) => line.name).join(", ")} — ${money(order.total)}` : "This order";
    const choice = await sheet("Cancel this order?", [el("p", {}, what), el("p", {}, "Its items go back on sale; a paid order is refunded.")], [
      { label: "Keep order", value: "keep" },
      { label: "Cancel order", value: "cancel", primary: true },
    ]);
    return choice === "cancel";
  }

  async function checkout() {
    const profile = loadProfile() || (await askProfile());
    if (!profile) return;
    try {
      const show = watchedShow();
      const body = { from_cart: true, ...(show ? { show_id: show } : {}), ...creditChoice() };
      const order = await api("POST", "/api/orders", body, { "Idempotency-Key": randomKey() });
      const paid = await payOrder(order, profile, "Your cart");
      if (paid) toast(`Order ${paid.status === "paid" ? "placed" : paid.status}`);
      await refreshBagCount();
    } catch (error) {
      toast(`Checkout failed: ${explain(error)}`);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("open-bag").addEventListener("click", openBag);
    refreshBagCount().catch(() => {});
    // The bag may have changed in another tab: the counter is right again when this one shows.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") refreshBagCount().catch(() => {});
    });
  });

  return { api, sessionToken, buyNow, addToCart, toggleFavorite, openBag, toast, money, sheet, explain, confirmCancel, setBagCount, payOrder, loadProfile, askProfile };
})();
