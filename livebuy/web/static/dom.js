"use strict";
// DOM helpers shared by the viewer page and the console. Text only ever goes in through
// textContent, so nothing a server or another viewer sends is parsed as HTML.
window.livebuyDom = (() => {
  const $ = (id) => document.getElementById(id);

  /** A new element; `text` is set with textContent, attributes with setAttribute. */
  function el(tag, attrs = {}, text = null) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    if (text !== null) node.textContent = text;
    return node;
  }

  return { $, el };
})();
