"""The HTML of ``report.html``: inline CSS, inline JavaScript and the rows as inline JSON, so it opens offline.

The table is built in the browser in chunks of :data:`CHUNK` rows as the reader scrolls (an
IntersectionObserver on a sentinel), so a page of 10,000 inputs stays light; thumbnails are small files
loaded lazily.
"""

from __future__ import annotations

import html
import json

CHUNK = 100

STYLE = """
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}
.summary{display:flex;flex-wrap:wrap;gap:.5em 2em;margin:.5em 0 1em}.summary div b{display:block;font-size:1.3em}
.hists{display:flex;gap:2em;flex-wrap:wrap}.hist h3{font-size:1em;margin:.2em 0}
table{border-collapse:collapse;margin-top:1em}th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:middle}th{background:#f4f4f4;position:sticky;top:0}td img{width:96px;height:auto;display:block}
.flag{display:inline-block;background:#fde2e2;border-radius:3px;padding:0 4px;margin:1px;font-size:12px}
.err{color:#b00020}.controls{display:flex;gap:1.5em;align-items:center}
"""

SCRIPT = """
const ROWS = JSON.parse(document.getElementById('rows').textContent);
const COLS = JSON.parse(document.getElementById('cols').textContent);
const CHUNK = __CHUNK__;
let view = [], shown = 0;
const body = document.getElementById('body');
function esc(s){const d=document.createElement('div');d.textContent=s==null?'':String(s);return d.innerHTML;}
function keyOf(r){return r.error ? -2 : (r.quality === null ? -1 : r.quality);}
function apply(){
  const flag = document.getElementById('flag').value, order = document.getElementById('sort').value;
  view = ROWS.filter(r => flag === 'all' || (flag === 'error' ? !!r.error : r.flags.includes(flag)));
  if (order === 'worst') view.sort((a,b) => keyOf(a) - keyOf(b));
  else if (order === 'best') view.sort((a,b) => keyOf(b) - keyOf(a));
  else view.sort((a,b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  body.innerHTML = ''; shown = 0; more();
  document.getElementById('count').textContent = view.length + ' of ' + ROWS.length + ' inputs';
}
function more(){
  const rows = view.slice(shown, shown + CHUNK).map(r => {
    const img = `<img loading="lazy" src="${esc(r.thumb)}" alt="overlay">`;
    const thumb = r.thumb ? `<a href="${esc(r.href)}">${img}</a>` : '';
    const err = r.error ? `<div class="err">${esc(r.error)}</div>` : '';
    const flags = r.flags.map(f => `<span class="flag">${esc(f)}</span>`).join('');
    const cells = COLS.map(c => `<td>${esc(r.values[c])}</td>`).join('');
    const q = r.quality === null ? '' : r.quality.toFixed(3);
    return `<tr data-name="${esc(r.name)}"><td>${thumb}</td><td>${esc(r.name)}${err}</td>`
         + `<td class="quality">${q}</td><td>${flags}</td>${cells}</tr>`;
  });
  body.insertAdjacentHTML('beforeend', rows.join(''));
  shown += rows.length;
}
new IntersectionObserver(e => { if (e[0].isIntersecting && shown < view.length) more(); })
  .observe(document.getElementById('sentinel'));
document.getElementById('flag').onchange = apply;
document.getElementById('sort').onchange = apply;
apply();
""".replace("__CHUNK__", str(CHUNK))


def histogram_svg(values: list[float], title: str, low: float = 0.0, high: float = 1.0, bins: int = 20) -> str:
    """A bar chart of ``values`` in [low, high] as inline SVG."""
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - low) / (high - low) * bins)))] += 1
    top = max(counts, default=0) or 1
    width, height = 300, 100
    bars = "".join(
        f'<rect x="{i * width / bins:.1f}" y="{height - c / top * height:.1f}" width="{width / bins - 1:.1f}" '
        f'height="{c / top * height:.1f}" fill="#4a7fb5"><title>{low + i * (high - low) / bins:.2f}: {c}</title></rect>'
        for i, c in enumerate(counts)
    )
    axis = f'<text x="0" y="{height + 14}" font-size="11">{low:g}</text>'
    axis += f'<text x="{width - 20}" y="{height + 14}" font-size="11">{high:g}</text>'
    return (f'<div class="hist"><h3>{html.escape(title)} (n={len(values)})</h3>'
            f'<svg width="{width}" height="{height + 18}" role="img">{bars}{axis}</svg></div>')  # fmt: skip


def _script_json(data) -> str:
    """JSON safe inside a <script> element (no '</' can close it)."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/")


def render(title: str, summary: dict[str, str], histograms: list[str], rows: list[dict], columns: list[str]) -> str:
    """The whole page. ``rows``: name, href, thumb, quality (float or None), flags (list), error, values."""
    flags = sorted({f for r in rows for f in r["flags"]})
    options = "".join(f'<option value="{html.escape(f)}">{html.escape(f)}</option>' for f in ["error", *flags])
    items = "".join(f"<div>{html.escape(k)}<b>{html.escape(str(v))}</b></div>" for k, v in summary.items())
    heads = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width"><style>{STYLE}</style></head>
<body><h1>{html.escape(title)}</h1>
<div class="summary">{items}</div>
<div class="hists">{"".join(histograms)}</div>
<div class="controls"><label>flag <select id="flag"><option value="all">all</option>{options}</select></label>
<label>sort <select id="sort"><option value="worst">worst quality first</option>
<option value="best">best quality first</option><option value="name">name</option></select></label>
<span id="count"></span></div>
<table><thead><tr><th>overlay</th><th>input</th><th>quality</th><th>flags</th>{heads}</tr></thead>
<tbody id="body"></tbody></table><div id="sentinel" style="height:1px"></div>
<script type="application/json" id="rows">{_script_json(rows)}</script>
<script type="application/json" id="cols">{_script_json(columns)}</script>
<script>{SCRIPT}</script></body></html>
"""
