// The viewer's wallet: a button next to the bag opens a sheet with store credit per currency,
// the credit lots and when they expire, the ledger (paged) and coupons won; "use my credit at
// checkout" is remembered and read by the buy sheet (`useCredit()`). Text only via textContent.
"use strict";

window.livebuyWallet = (() => {
  const { $, el } = window.livebuyDom;
  const USE_KEY = "livebuy.useCredit";
  const PAGE = 10;

  function useCredit() {
    return localStorage.getItem(USE_KEY) !== "0";
  }

  function money(amount, currency) {
    return window.livebuyShop.money({ amount, currency });
  }

  function day(ms) {
    return new Date(ms).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }

  function dialog() {
    let node = $("wallet-sheet");
    if (node) return node;
    node = el("dialog", { id: "wallet-sheet", class: "sheet wallet-sheet", "aria-labelledby": "wallet-title" });
    const close = el("button", { type: "button", class: "wallet-close" }, "Close");
    close.addEventListener("click", () => node.close());
    node.append(el("h2", { id: "wallet-title" }, "Wallet"), el("div", { id: "wallet-body" }), close);
    document.body.append(node);
    return node;
  }

  async function render(offset = 0) {
    const wallet = await window.livebuyShop.api("GET", `/api/wallet?offset=${offset}&limit=${PAGE}`);
    const body = $("wallet-body");
    const balances = wallet.balances.length
      ? wallet.balances.map((b) => el("p", { class: "wallet-balance" }, `${money(b.amount, b.currency)}${b.next_expiry_at ? ` · some expires ${day(b.next_expiry_at)}` : ""}`))
      : [el("p", { class: "wallet-balance" }, "No store credit yet: grab red packets and win games!")];
    const toggle = el("input", { type: "checkbox", id: "wallet-use-credit" });
    toggle.checked = useCredit();
    toggle.addEventListener("change", () => localStorage.setItem(USE_KEY, toggle.checked ? "1" : "0"));
    const label = el("label", { for: "wallet-use-credit" }, " Use my credit at checkout");
    label.prepend(toggle);
    const lots = el("ul", { class: "wallet-lots", "aria-label": "Credit and when it expires" });
    for (const lot of wallet.lots) lots.append(el("li", {}, `${money(lot.amount, lot.currency)} from ${lot.source.replace("_", " ")} · expires ${day(lot.expires_at)}`));
    const ledger = el("ol", { class: "wallet-ledger", "aria-label": "Ledger" });
    for (const entry of wallet.ledger) ledger.append(el("li", {}, `${new Date(entry.at).toLocaleString()} · ${entry.source.replace("_", " ")} · ${entry.amount > 0 ? "+" : ""}${money(entry.amount, entry.currency)}`));
    const nodes = [...balances, label, el("h3", {}, "Credit"), lots, el("h3", {}, "History"), ledger];
    if (wallet.next_offset !== null) {
      const more = el("button", { type: "button" }, "Older");
      more.addEventListener("click", () => render(wallet.next_offset));
      nodes.push(more);
    }
    if (wallet.coupons.length) nodes.push(el("h3", {}, "Coupons won"), el("p", {}, wallet.coupons.join(", ")));
    body.replaceChildren(...nodes);
  }

  async function openWallet() {
    const node = dialog();
    try {
      await render();
      node.showModal();
    } catch (error) {
      window.livebuyShop.toast(`Could not open the wallet: ${error.message}`);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = el("button", { type: "button", id: "open-wallet", class: "bag-button", "aria-label": "Wallet" }, "Wallet");
    button.addEventListener("click", openWallet);
    $("open-bag")?.after(button);
  });

  return { useCredit, openWallet };
})();
