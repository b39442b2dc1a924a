// Measures the dossier page as Chromium lays it out, for tests/dossier.rs: the test
// appends this script to a copy of index.html (without its Content-Security-Policy,
// which forbids scripts) and reads the JSON it leaves in the element `clic-layout`.
(function () {
  const out = {};
  const byId = (h) => document.getElementById(decodeURIComponent(h.slice(1)));
  // Every in-page link, and those of the contents, with the ones that lead nowhere.
  const links = [...document.querySelectorAll('a[href^="#"]')];
  out.links = links.length;
  out.dangling = links.filter((a) => !byId(a.getAttribute("href"))).map((a) => a.getAttribute("href"));
  out.contents = [...document.querySelectorAll("nav.toc a")].map((a) => a.getAttribute("href"));
  out.ids = [...document.querySelectorAll("[id]")].map((e) => e.id);
  // Figures: their width against their column, their scale, their smallest text as
  // drawn (font size times scale), and any text that leaves the figure.
  out.figures = [...document.querySelectorAll("figure svg")].map((svg) => {
    const r = svg.getBoundingClientRect();
    const col = svg.closest("section, main").getBoundingClientRect();
    const vb = svg.viewBox.baseVal;
    const scale = r.width / vb.width;
    let smallest = Infinity;
    const outside = [];
    for (const t of svg.querySelectorAll("text")) {
      const size = parseFloat(getComputedStyle(t).fontSize);
      smallest = Math.min(smallest, size * scale);
      const b = t.getBoundingClientRect();
      if (b.left < r.left - 0.5 || b.right > r.right + 0.5 || b.top < r.top - 0.5 || b.bottom > r.bottom + 0.5) {
        outside.push(t.textContent);
      }
    }
    return {
      id: svg.getAttribute("aria-labelledby"),
      width: r.width,
      column: col.width,
      scale: scale,
      smallest_text: smallest,
      outside: outside,
    };
  });
  // Table headers and result badges broken inside a word: a word whose range has two
  // line boxes.
  const broken = (selector) => {
    const found = [];
    for (const th of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      for (const m of n.data.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].map((q) => Math.round(q.top)));
        if (lines.size > 1) found.push(th.textContent.trim() + ": " + m[0]);
      }
    }
    }
    return found;
  };
  out.broken_headers = broken("th");
  out.broken_badges = broken(".status");
  // The text a reader sees outside code: raw Markdown would show there.
  const prose = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (!n.parentElement.closest("code, pre, svg")) prose.push(n.data);
  }
  const text = prose.join("");
  const around = (i) => text.slice(Math.max(0, i - 40), i + 40).replace(/\s+/g, " ");
  out.raw_bold = [...text.matchAll(/\*\*/g)].slice(0, 5).map((m) => around(m.index));
  out.raw_backticks = [...text.matchAll(/`/g)].slice(0, 5).map((m) => around(m.index));
  // A numbered list run into a paragraph: "label: 1. item 2. item".
  out.flat_lists = [...document.querySelectorAll("p")]
    .map((p) => p.textContent)
    .filter((t) => /(^|\s)1\.\s.+\s2\.\s/.test(t))
    .map((t) => t.slice(0, 80));
  out.quoted_list_items = [...document.querySelectorAll("ol > li > strong")].map((s) => s.textContent);
  // Results: each a badge that says its status, coloured by it.
  out.badges = [...document.querySelectorAll("strong.status")].map((b) => ({
    text: b.textContent,
    class: b.className,
    color: getComputedStyle(b).color,
  }));
  out.trace_rows_without_badge = [...document.querySelectorAll("#doc-traceability table tbody tr")]
    .filter((tr) => !tr.querySelector("strong.status")).length;
  const pre = document.createElement("pre");
  pre.id = "clic-layout";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
