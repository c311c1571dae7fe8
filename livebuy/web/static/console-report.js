// The console's link to the post-show report's figures, live: GET /api/shows/{id}/report with the
// producer token, opened as JSON in a new tab (`livebuy report SHOW_ID --out report.html` draws
// the same figures as a printable page).
"use strict";

(() => {
  const { $, el } = window.livebuyDom;
  const mount = $("report-link");
  if (!mount) return;
  const button = el("button", { type: "button" }, "Report figures (JSON)");
  const status = el("span", { class: "help", role: "status" });
  mount.append(button, " ", status);

  button.addEventListener("click", async () => {
    const state = window.livebuyConsole?.state;
    if (!state?.token || !state.showId) return;
    // Opened before the fetch, so the browser treats it as the click's own window.
    const tab = window.open("", "_blank");
    status.textContent = "";
    try {
      const response = await fetch(`/api/shows/${encodeURIComponent(state.showId)}/report`, {
        headers: { authorization: `Bearer ${state.token}` },
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
      if (tab) tab.location.href = url;
      else window.location.assign(url);
    } catch (error) {
      if (tab) tab.close();
      status.textContent = `Report: ${error.message}`;
    }
  });
})();
