// The console's live dashboard: polls GET /api/shows/{id}/analytics and /funnel (figures computed on the
// server from Redis, the same whichever gateway process answers) and draws them as inline SVG.
// Nodes are built with DOM APIs; server text only ever goes in through textContent.
"use strict";

(() => {
  const POLL_MS = 2000;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const WIDTH = 300;
  const HEIGHT = 60;
  const { $, el } = window.livebuyDom;

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  function money(value) {
    const format = new Intl.NumberFormat(undefined, { style: "currency", currency: value.currency });
    return format.format(value.amount / 10 ** format.resolvedOptions().maximumFractionDigits);
  }

  function minuteText(ms) {
    return new Date(ms).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }

  /** x, y of each point of a per-minute series scaled into the chart (oldest minute on the left). */
  function scale(series, top) {
    const step = series.length > 1 ? WIDTH / (series.length - 1) : 0;
    return series.map((point, i) => [i * step, HEIGHT - 4 - (point.value / top) * (HEIGHT - 8)]);
  }

  /** The chart's accessible name and a <title> naming each series' last value. */
  function label(chart, text) {
    chart.setAttribute("aria-label", text);
    chart.replaceChildren(svg("title", {}, text));
  }

  function drawViewers(answer) {
    const chart = $("viewers-chart");
    const series = answer.viewers_per_minute;
    const top = Math.max(1, ...series.map((point) => point.value));
    const points = scale(series, top);
    label(chart, `Viewers: ${answer.viewers} now, peak ${top} in the last ${series.length} minutes`);
    const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
    chart.append(
      svg("polygon", { class: "area", points: `0,${HEIGHT} ${line} ${WIDTH},${HEIGHT}` }),
      svg("polyline", { class: "viewers", points: line }),
      svg("text", { x: 2, y: 10, class: "axis" }, `peak ${top}`),
    );
  }

  function drawActivity(answer) {
    const chart = $("activity-chart");
    const chat = answer.chat_per_minute;
    const reactions = answer.reactions_per_minute;
    const top = Math.max(1, ...chat.map((p) => p.value), ...reactions.map((p) => p.value));
    const last = (series) => (series.length ? series[series.length - 1].value : 0);
    label(chart, `Per minute: ${last(chat)} chat messages and ${last(reactions)} reactions this minute, top ${top}`);
    for (const [series, name] of [[chat, "chat"], [reactions, "reactions"]]) {
      const line = scale(series, top).map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
      chart.append(svg("polyline", { class: name, points: line }));
    }
    if (chat.length) {
      chart.append(
        svg("text", { x: 2, y: 10, class: "axis" }, minuteText(chat[0].minute)),
        svg("text", { x: WIDTH - 2, y: 10, class: "axis end" }, minuteText(chat[chat.length - 1].minute)),
      );
    }
  }

  function drawSales(answer) {
    const rows = answer.sales.map((row) => {
      const tr = el("tr", { "data-product-id": row.product_id });
      tr.append(
        el("td", {}, row.name),
        el("td", { class: "units" }, String(row.units)),
        el("td", {}, String(row.orders)),
        el("td", { class: "revenue" }, money(row.revenue)),
      );
      return tr;
    });
    if (!rows.length) {
      const empty = el("tr");
      empty.append(el("td", { colspan: "4" }, "No sales from this show yet."));
      rows.push(empty);
    }
    $("sales").replaceChildren(...rows);
    const totals = el("tr");
    totals.append(
      el("th", { scope: "row" }, "Total"),
      el("td", {}, String(answer.totals.units)),
      el("td", {}, String(answer.totals.orders)),
      el("td", {}, answer.totals.revenue.map(money).join(" + ") || "–"),
    );
    $("sales-total").replaceChildren(totals);
  }

  function drawDeals(answer) {
    const chart = $("deals-chart");
    const deals = answer.deals;
    // The label sits above its bar: no text colour reads on both the filled and the empty part.
    const rowHeight = 26;
    chart.setAttribute("viewBox", `0 0 ${WIDTH} ${Math.max(1, deals.length) * rowHeight}`);
    label(chart, deals.length ? `Units left in ${deals.length} flash deal(s)` : "No flash deals in this show");
    deals.forEach((deal, i) => {
      const y = i * rowHeight;
      const share = deal.units > 0 ? deal.units_left / deal.units : 0;
      const text = `${deal.name}: ${deal.units_left} of ${deal.units} left${deal.live ? "" : " (ended)"}`;
      const group = svg("g", { class: deal.live ? "deal live" : "deal", "data-deal-id": deal.deal_id });
      group.append(
        svg("title", {}, text),
        svg("text", { x: 0, y: y + 10 }, text),
        svg("rect", { class: "track", x: 0, y: y + 14, width: WIDTH, height: 9, rx: 3 }),
        svg("rect", { class: "fill", x: 0, y: y + 14, width: (WIDTH * share).toFixed(1), height: 9, rx: 3 }),
      );
      chart.append(group);
    });
  }

  function draw(answer) {
    const last = (series) => (series.length ? series[series.length - 1].value : 0);
    $("stat-viewers").textContent = String(answer.viewers);
    $("stat-chat").textContent = String(last(answer.chat_per_minute));
    $("stat-reactions").textContent = String(last(answer.reactions_per_minute));
    drawViewers(answer);
    drawActivity(answer);
    drawSales(answer);
    drawDeals(answer);
    $("dash-status").textContent = `Updated ${new Date(answer.at).toLocaleTimeString()}`;
  }

  function percent(part, whole) {
    return whole > 0 ? `${Math.round((100 * part) / whole)} %` : "–";
  }

  /** GET /api/shows/{id}/funnel: per product, cards shown → added to bag → bought. */
  function drawFunnel(answer) {
    const rows = answer.products.map((row) => {
      const tr = el("tr", { "data-product-id": row.product_id });
      tr.append(
        el("td", {}, row.name),
        el("td", { class: "shown" }, String(row.cards_shown)),
        el("td", { class: "bag" }, String(row.added_to_bag)),
        el("td", { class: "bought", title: `${row.bought_orders} orders` }, String(row.bought_units)),
        el("td", {}, percent(row.bought_orders, row.cards_shown)),
      );
      return tr;
    });
    if (!rows.length) {
      const empty = el("tr");
      empty.append(el("td", { colspan: "5" }, "No card shown yet."));
      rows.push(empty);
    }
    $("funnel").replaceChildren(...rows);
  }

  let polling = false;

  async function poll() {
    const state = window.livebuyConsole?.state;
    if (polling || !state || !state.token || !state.showId || $("desk").hidden) return;
    polling = true;
    try {
      const show = encodeURIComponent(state.showId);
      const headers = { authorization: `Bearer ${state.token}` };
      const [response, funnel] = await Promise.all([
        fetch(`/api/shows/${show}/analytics`, { headers }),
        fetch(`/api/shows/${show}/funnel`, { headers }),
      ]);
      const body = await response.json().catch(() => null);
      if (response.ok && body) draw(body);
      else $("dash-status").textContent = `Dashboard: ${body?.error?.message || `HTTP ${response.status}`}`;
      const funnelBody = await funnel.json().catch(() => null);
      if (funnel.ok && funnelBody) drawFunnel(funnelBody);
    } catch (error) {
      $("dash-status").textContent = `Dashboard: ${error.message}`;
    } finally {
      polling = false;
    }
  }

  setInterval(poll, POLL_MS);
  poll();
  window.livebuyDashboard = { poll };
})();
