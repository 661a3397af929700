"""The page: one HTML file with its CSS, script and SVG inline, no request leaving it.

The script only adds the taxonomy search and the expand/collapse buttons; everything else is
plain HTML (``<details>`` for the tree, SVG ``<title>`` for tooltips), so the page reads the same
with scripts off, from ``file://``, offline.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from steps_agents.fileformats import STEPS_AGENTS_VERSION
from steps_agents.reporting.html import Section
from steps_agents.reporting.inputs import ReportInputs

CSS = """
:root { --fg:#1d232b; --muted:#5b6573; --line:#d9dee5; --bg:#ffffff; --panel:#f6f8fa; --accent:#0072B2; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; }
header { padding: 18px 28px 10px; border-bottom: 1px solid var(--line); background: var(--panel); }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 2px 0; color: var(--muted); }
nav a { margin-right: 14px; color: var(--accent); text-decoration: none; font-weight: 600; }
main { padding: 6px 28px 40px; max-width: 1320px; }
section { border-bottom: 1px solid var(--line); padding: 8px 0 18px; }
h2 { font-size: 18px; margin: 14px 0 8px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
h4 { font-size: 13px; margin: 12px 0 4px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .03em; }
.note { color: var(--muted); font-size: 13px; margin: 6px 0; }
.warning { color: #a33; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 10px 22px; }
.cols { display: grid; grid-template-columns: minmax(0, 1.4fr) minmax(0, 1fr); gap: 0 32px; }
.cols > div { overflow-x: auto; }
@media (max-width: 1000px) { .cols { grid-template-columns: minmax(0, 1fr); } }
figure { margin: 6px 0; }
figcaption { color: var(--muted); font-size: 12px; }
svg.chart { width: 100%; max-width: 660px; height: auto; background: #fff; }
svg .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
svg .tick, svg .legend { font-size: 11px; fill: var(--muted); }
svg .axis-label { font-size: 12px; fill: var(--fg); }
svg .grid { stroke: #eceff3; } svg .axis { stroke: #8a94a3; }
svg .point:hover, svg .bar:hover { opacity: .7; }
table { border-collapse: collapse; margin: 6px 0 8px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 9px; text-align: left; }
th { background: var(--panel); font-weight: 600; }
td { font-variant-numeric: tabular-nums; white-space: nowrap; }
td:first-child { white-space: normal; max-width: 320px; }
.sbar { display: inline-block; width: 70px; height: 8px; background: #edf0f3; margin-right: 6px; }
.sbar span { display: block; height: 8px; background: var(--accent); }
.controls { margin: 8px 0; }
.controls input { font: inherit; padding: 4px 8px; width: 280px; border: 1px solid #b8c0cc;
                  border-radius: 4px; }
.controls button { font: inherit; padding: 3px 10px; border: 1px solid #b8c0cc; border-radius: 4px;
                   background: #fff; cursor: pointer; }
#search-status { color: var(--muted); margin-left: 8px; }
ul.tree, ul.tree ul { list-style: none; margin: 0; padding-left: 18px; }
ul.tree { padding-left: 0; max-height: 560px; overflow: auto; border: 1px solid var(--line);
          border-radius: 4px; padding: 6px 10px; }
ul.tree summary { cursor: pointer; padding: 1px 0; }
ul.tree .kind { font-size: 11px; color: #fff; background: #8a94a3; border-radius: 3px;
                padding: 0 5px; }
ul.tree .depth-1 > details > summary .kind { background: var(--accent); }
ul.tree .label { font-weight: 600; }
ul.tree .stat { color: var(--muted); font-size: 12px; margin-left: 10px; }
ul.tree li.leaf { padding: 1px 0 1px 14px; }
ul.tree li.leaf .skill { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
ul.tree li.hidden { display: none; }
ul.tree li.match > .skill { background: #ffe58a; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
"""

SCRIPT = """
(function () {
  var tree = document.getElementById('taxonomy-tree');
  if (!tree) { return; }
  var input = document.getElementById('skill-search');
  var status = document.getElementById('search-status');
  var leaves = Array.prototype.slice.call(tree.querySelectorAll('li.leaf'));
  var nodes = Array.prototype.slice.call(tree.querySelectorAll('li.node'));
  function setAll(open) {
    tree.querySelectorAll('details').forEach(function (d) { d.open = open; });
  }
  document.getElementById('expand-all').addEventListener('click', function () { setAll(true); });
  document.getElementById('collapse-all').addEventListener('click', function () { setAll(false); });
  function search() {
    var q = input.value.trim().toLowerCase();
    var hits = 0;
    leaves.forEach(function (li) {
      var match = q !== '' && li.dataset.skill.toLowerCase().indexOf(q) >= 0;
      li.classList.toggle('match', match);
      li.classList.toggle('hidden', q !== '' && !match);
      if (match) { hits += 1; }
    });
    nodes.forEach(function (li) {
      var any = li.querySelector('li.leaf.match') !== null;
      li.classList.toggle('hidden', q !== '' && !any);
      if (q !== '') { li.firstElementChild.open = any; }
    });
    if (q === '') {
      status.textContent = '';
    } else {
      status.textContent = hits + (hits === 1 ? ' skill matches' : ' skills match');
      var first = tree.querySelector('li.leaf.match');
      if (first) { first.scrollIntoView({block: 'nearest'}); }
    }
  }
  input.addEventListener('input', search);
})();
"""


def render_page(sections: list[Section], inputs: ReportInputs, *, title: str) -> str:
    nav = "".join(f'<a href="#{s.id}">{escape(s.title)}</a>' for s in sections)
    used = ", ".join(Path(p).name for p in inputs.used) or "–"
    unused = (
        f"<p>Not used: {escape(', '.join(Path(p).name for p in inputs.unused))}</p>"
        if inputs.unused
        else ""
    )
    unused += "".join(f'<p class="warning">Warning: {escape(w)}.</p>' for w in inputs.warnings)
    body = "".join(
        f'<section id="{s.id}"><h2>{escape(s.title)}</h2>{s.body}</section>' for s in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # No request may leave the file: forbid every fetch, allow only the inline style/script.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';'
        " style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{escape(title)}</h1><p>From: {escape(used)}</p>{unused}"
        f"<p>steps-agents {escape(STEPS_AGENTS_VERSION)}</p><nav>{nav}</nav></header>"
        f"<main>{body}</main><script>{SCRIPT}</script></body></html>\n"
    )
