"""``r1data report DIR``: one self-contained HTML page of what a run (or a mix) did.

Everything is inline — the charts as SVG written here (bars and histograms: no plotting library, a
few milliseconds), the style sheet, one small script that checks every chart drew — so the page opens
offline and can be mailed. Read from the folder only: ``stats.json``
(funnel, drop reasons, generation cost), the published shards (lengths, pass rates, domains, a
sample of kept rows), the hand-off records in ``work/`` (language consistency, a sample of completions
that did not make it, with their verdicts) and ``quarantine/``.
"""

from __future__ import annotations

import glob
import html
import json
import os
import random
from collections import defaultdict

from r1data.io.readers import read_jsonl

SAMPLE_ROWS = 5
MAX_HANDOFF_RECORDS = 20_000  # read at most this many hand-off records for the histograms


_W, _H, _LEFT, _BOTTOM, _TOP = 560, 250, 150, 42, 26
_COLORS = ["#2a9d8f", "#e76f51", "#264653", "#e9c46a", "#457b9d", "#8ab17d", "#b5838d", "#f4a261"]


def _svg(title: str, body: list[str]) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {_W} {_H}' role='img'>"
        f"<text x='{_W / 2}' y='16' text-anchor='middle' font-weight='600'>{html.escape(title)}</text>"
        + "".join(body)
        + "</svg>"
    )


def _empty(title: str) -> str:
    return _svg(title, [f"<text x='{_W / 2}' y='{_H / 2}' text-anchor='middle' fill='#888'>no data</text>"])


def bar_chart(title: str, items: list[tuple[str, float]], xlabel: str) -> str:
    """Horizontal bars, one per (label, value), value printed at the bar's end."""
    if not items or not any(v for _, v in items):
        return _empty(title)
    top = max(v for _, v in items)
    height = (_H - _TOP - _BOTTOM) / len(items)
    width = _W - _LEFT - 60
    body = []
    for i, (label, value) in enumerate(items):
        y = _TOP + i * height
        w = width * value / top if top else 0
        color = _COLORS[i % len(_COLORS)]
        body.append(
            f"<text x='{_LEFT - 6}' y='{y + height * 0.62:.1f}' text-anchor='end' font-size='10'>{html.escape(str(label))}</text>"
            f"<rect x='{_LEFT}' y='{y + height * 0.12:.1f}' width='{max(w, 0.5):.1f}' height='{height * 0.76:.1f}' fill='{color}'>"
            f"<title>{html.escape(str(label))}: {value:,}</title></rect>"
            f"<text x='{_LEFT + w + 4:.1f}' y='{y + height * 0.62:.1f}' font-size='10'>{value:,}</text>"
        )
    body.append(
        f"<text x='{_LEFT + width / 2}' y='{_H - 8}' text-anchor='middle' font-size='10'>{html.escape(xlabel)}</text>"
    )
    return _svg(title, body)


def histogram(
    title: str, series: dict[str, list[float]], xlabel: str, bins: int = 20, lo=None, hi=None
) -> str:
    """Stacked histogram of one or more series (lists or numpy arrays; a legend when several)."""
    import numpy as np

    arrays = {name: np.asarray(vs, dtype="float64") for name, vs in series.items()}
    present = [a for a in arrays.values() if a.size]
    if not present:
        return _empty(title)
    lo = min(float(a.min()) for a in present) if lo is None else lo
    hi = max(float(a.max()) for a in present) if hi is None else hi
    span = (hi - lo) or 1.0
    counts = {
        name: np.bincount(
            np.clip(((a - lo) / span * bins).astype("int64"), 0, bins - 1), minlength=bins
        ).tolist()
        for name, a in arrays.items()
    }
    totals = [sum(c[b] for c in counts.values()) for b in range(bins)]
    peak = max(totals) or 1
    left, width, height = 50, _W - 70, _H - _TOP - _BOTTOM
    bar = width / bins
    body = [
        f"<line x1='{left}' y1='{_TOP + height}' x2='{left + width}' y2='{_TOP + height}' stroke='#999'/>"
    ]
    for b in range(bins):
        base = 0
        for k, name in enumerate(series):
            n = counts[name][b]
            if not n:
                continue
            h = height * n / peak
            y = _TOP + height - (height * base / peak) - h
            body.append(
                f"<rect x='{left + b * bar + 0.5:.1f}' y='{y:.1f}' width='{bar - 1:.1f}' height='{h:.1f}' fill='{_COLORS[k % len(_COLORS)]}'>"
                f"<title>{html.escape(name)} [{lo + b * span / bins:.3g}, {lo + (b + 1) * span / bins:.3g}): {n}</title></rect>"
            )
            base += n
    for frac in (0, 0.5, 1):
        x = left + width * frac
        body.append(
            f"<text x='{x:.1f}' y='{_TOP + height + 13}' text-anchor='middle' font-size='9'>{lo + span * frac:.3g}</text>"
        )
    body.append(f"<text x='{left - 4}' y='{_TOP + 8}' text-anchor='end' font-size='9'>{peak}</text>")
    body.append(
        f"<text x='{left + width / 2}' y='{_H - 8}' text-anchor='middle' font-size='10'>{html.escape(xlabel)}</text>"
    )
    if len(series) > 1:
        for k, name in enumerate(series):
            body.append(f"<rect x='{_W - 120}' y='{_TOP + k * 14}' width='10' height='10' fill='{_COLORS[k % len(_COLORS)]}'/>"
                        f"<text x='{_W - 106}' y='{_TOP + 9 + k * 14}' font-size='10'>{html.escape(name)}</text>")  # fmt: skip
    return _svg(title, body)


class _Charts:
    def __init__(self):
        self.items: list[tuple[str, str, str]] = []  # (key, title, svg)

    def add(self, key: str, title: str, svg: str) -> None:
        self.items.append((key, title, svg))


def _shard_batches(output_dir: str, columns: list[str], rows: int = 1024):
    """The published shards' Arrow batches of ``columns`` (those a shard has), a bounded slice at a time."""
    import pyarrow.parquet as pq

    for path in sorted(glob.glob(os.path.join(output_dir, "data", "**", "*.parquet"), recursive=True)):
        pf = pq.ParquetFile(path)
        names = [c for c in columns if c in pf.schema_arrow.names]
        yield from pf.iter_batches(rows, columns=names)


def _excluded_samples(output_dir: str, k: int) -> list[dict]:
    """Up to ``k`` dropped completions from the exclusion files, one per recorded reason first (in the
    order the steps ran), each with its reason and what it means."""
    from r1data.core.reasons import explain

    files = sorted(glob.glob(os.path.join(output_dir, "excluded", "**", "*.jsonl*"), recursive=True))
    picked: dict[str, dict] = {}
    for path in files:
        for record in read_jsonl(path):
            for c in record.get("completions") or []:
                reason = c.get("excluded_reason") or record.get("dropped_reason") or "?"
                if reason in picked:
                    continue
                meaning = explain("drop", reason)
                picked[reason] = {
                    "record": {"id": f"{record.get('id')} / sample {c.get('sample_index', '?')}",
                               "prompt": _clip(str(record.get("prompt") or ""), 300)},
                    "completion": {"text": _clip(c.get("text") or "", 400)},
                    "why": reason + (f" — {meaning}" if meaning else ""),
                    "reason": reason,
                }  # fmt: skip
            if len(picked) >= k:
                return list(picked.values())
    return list(picked.values())


def _handoff_records(output_dir: str, limit: int = MAX_HANDOFF_RECORDS):
    """Records of the last hand-off in ``work/`` (what the last stage read), one at a time, at most
    ``limit``."""
    stages = [
        d
        for d in sorted(glob.glob(os.path.join(output_dir, "work", "*")))
        if not os.path.basename(d).startswith("_")
    ]
    if not stages:
        return
    with open(os.path.join(output_dir, "recipe.json")) as f:
        order = [s["name"] for s in json.load(f)["recipe"]["stages"]]
    present = {os.path.basename(d): d for d in stages}
    last = next((present[name] for name in reversed(order) if name in present), None)
    seen = 0
    for path in sorted(glob.glob(os.path.join(last, "*.jsonl.gz"))) if last else []:
        for record in read_jsonl(path):
            yield record
            seen += 1
            if seen >= limit:
                return


class _Reservoir:
    """A uniform sample of ``size`` items from a stream of unknown length (seeded)."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.rng, self.items, self.seen = size, rng, [], 0

    def wants(self) -> int | None:
        """Where the next item goes (None: not sampled); call before building it."""
        self.seen += 1
        if len(self.items) < self.size:
            return len(self.items)
        j = self.rng.randrange(self.seen)
        return j if j < self.size else None

    def put(self, slot: int, item) -> None:
        if slot == len(self.items):
            self.items.append(item)
        else:
            self.items[slot] = item


def _quarantined(output_dir: str, limit: int = 3) -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(output_dir, "quarantine", "**", "*.jsonl"), recursive=True)):
        for entry in read_jsonl(path):
            out.append(entry)
            if len(out) >= limit:
                return out
    return out


def _esc(value) -> str:
    return html.escape(str(value))


def _clip(text: str, n: int = 600) -> str:
    text = text or ""
    return text if len(text) <= n else text[:n] + f" … [{len(text) - n:,} more characters]"


def build_report(output_dir: str) -> str:
    """The page's HTML for the run or mix folder ``output_dir``. Arrow reads through the system
    allocator here: mimalloc, its default, keeps what a long scan freed, and the page's memory would
    grow with the shards' size."""
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        return _build_report(output_dir)
    finally:
        pa.set_memory_pool(previous)


def _build_report(output_dir: str) -> str:
    with open(os.path.join(output_dir, "stats.json")) as f:
        stats = json.load(f)
    funnel = stats.get("funnel", {})
    charts = _Charts()
    comp, recs = funnel.get("completions", {}), funnel.get("records", {})
    stages = [
        ("records in", recs.get("in", 0)), ("records ok", recs.get("ok", 0)),
        ("records quarantined", recs.get("quarantined", 0)), ("completions in", comp.get("in", 0)),
        ("completions dropped", comp.get("dropped", 0)), ("completions kept", comp.get("kept", 0)),
    ]  # fmt: skip
    charts.add("funnel", "Funnel", bar_chart("Funnel", stages, "count"))
    reasons = sorted((comp.get("dropped_by_reason") or {}).items(), key=lambda kv: -kv[1])[:12]
    charts.add(
        "drop_reasons",
        "Why completions were dropped",
        bar_chart("Why completions were dropped", reasons, "completions dropped"),
    )

    # rows: pass rates, lengths per domain — computed in Arrow a batch at a time, so memory does not grow
    # with the rows (a few numbers a row); a seeded reservoir keeps a sample of whole rows
    import numpy as np
    import pyarrow.compute as pc
    import xxhash

    cols = ["id", "domain", "pass_rate", "reasoning", "summary", "completion_tokens", "problem", "teacher"]
    rng = random.Random(0)
    kept_sample = _Reservoir(SAMPLE_ROWS, rng)
    pass_rates, kept_ids = [], []
    lengths: dict[str, dict[str, list]] = defaultdict(lambda: {"reasoning": [], "summary": []})
    for batch in _shard_batches(output_dir, cols):
        names = batch.schema.names
        column = {n: batch.column(n) for n in names}
        if "pass_rate" in column:
            pass_rates.append(column["pass_rate"].drop_null().to_numpy(zero_copy_only=False))
        if "id" in column:
            kept_ids.append(
                np.fromiter((xxhash.xxh64_intdigest(i or "") for i in column["id"].to_pylist()), "u8")
            )
        chars = {
            part: pc.utf8_length(pc.fill_null(column[part], ""))
            for part in ("reasoning", "summary")
            if part in column
        }
        total = pc.add(*chars.values()) if len(chars) == 2 else None
        per_char = (
            pc.divide(pc.cast(column["completion_tokens"], "float64"), pc.cast(total, "float64"))
            if total is not None and "completion_tokens" in column
            else None
        )
        domains = column["domain"].to_pylist() if "domain" in column else ["?"] * batch.num_rows
        for part, n in chars.items():
            estimate = pc.multiply(pc.cast(n, "float64"), per_char) if per_char is not None else None
            fallback = pc.divide(pc.cast(n, "float64"), 4.0)
            values = (
                pc.if_else(pc.is_valid(estimate), estimate, fallback) if estimate is not None else fallback
            )
            values = values.to_numpy(zero_copy_only=False)
            for domain in set(domains):
                mask = np.array([d == domain for d in domains])
                lengths[domain or "?"][part].append(values[mask].astype("float32"))
        for i in range(batch.num_rows):
            slot = kept_sample.wants()
            if slot is not None:
                kept_sample.put(slot, batch.slice(i, 1).to_pylist()[0])
    pass_rates = np.concatenate(pass_rates) if pass_rates else np.zeros(0)
    kept = np.sort(np.concatenate(kept_ids)) if kept_ids else np.zeros(0, "u8")

    title = "Pass rate of the kept rows' prompts"
    charts.add(
        "pass_rate",
        title,
        histogram(title, {"rows": pass_rates}, "pass rate (correct / samples)", 10, 0.0, 1.0),
    )
    for part in ("reasoning", "summary"):
        series = {
            d: np.concatenate(v[part]).tolist()
            for d, v in sorted(lengths.items())
            if v[part] and any(map(len, v[part]))
        }
        title = f"{part.capitalize()} length per domain"
        xlabel = f"{part} tokens (per row: completion tokens × its share of characters)"
        charts.add(f"{part}_tokens", title, histogram(title, series, xlabel, 30, 0.0))

    # hand-off records, streamed: language consistency, a sample of completions that did not make it
    # (from the exclusion files, with their recorded reasons, when the run wrote them)
    consistency, dropped_sample, handoff_n = [], _Reservoir(SAMPLE_ROWS, rng), 0
    recorded = _excluded_samples(output_dir, 12)
    for record in _handoff_records(output_dir):
        handoff_n += 1
        for i, c in enumerate(record.get("completions") or []):
            lang = (c.get("filters") or {}).get("language")
            if lang and lang.get("consistency") is not None:
                consistency.append(lang["consistency"])
            key = xxhash.xxh64_intdigest(f"{record.get('id')}/{c.get('sample_index', i)}")
            at = int(np.searchsorted(kept, key))
            if at < len(kept) and kept[at] == key:
                continue
            slot = dropped_sample.wants() if not recorded else None
            if slot is None:
                continue
            verdict = c.get("verdict") or {}
            why = (
                f"verdict {verdict['label']}/{verdict['reason']}"
                if verdict and verdict.get("label") != "pass"
                else "passed, not selected (policy or pass-rate window)"
            )
            dropped_sample.put(slot, {"record": {"id": record.get("id"), "prompt": _clip(str(record.get("prompt") or ""), 300)},
                                      "completion": {"text": _clip(c.get("text") or "", 400)}, "why": why})  # fmt: skip

    title = "Language consistency of the chains of thought"
    xlabel = "share of words in the target language (completions that reached the last stage)"
    charts.add(
        "language_consistency", title, histogram(title, {"completions": consistency}, xlabel, 20, 0.0, 1.0)
    )

    gen = stats.get("generation") or {}
    return _page(
        output_dir,
        stats,
        charts,
        gen,
        kept_sample.items,
        recorded or dropped_sample.items,
        _quarantined(output_dir),
        handoff_n,
    )


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
figure{margin:0;border:1px solid #eee;padding:.5rem}figure svg{width:100%;height:auto;font-family:inherit}
table{border-collapse:collapse;font-size:.85rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;font-size:.8rem;background:#f7f7f7;padding:.5rem;margin:.25rem 0}
.why{color:#b23a48;font-weight:600}.warning{background:#fff4e0;border-left:4px solid #e08a00;padding:.4rem .6rem}#status{color:#666;font-size:.8rem}
"""

# counts the charts that drew (an SVG with marks inside each figure) and any script error; a test
# reads the result from the rendered DOM
_SCRIPT = """
window.r1Errors=[];window.addEventListener('error',function(e){window.r1Errors.push(String(e.message))});
document.addEventListener('DOMContentLoaded',function(){
  var figs=document.querySelectorAll('figure.chart'),drawn=0;
  figs.forEach(function(f){var s=f.querySelector('svg');var box=s&&s.getBBox?s.getBBox():null;
    if(s&&s.querySelectorAll('path,rect,text,use').length>0&&box&&box.width>0){drawn++;f.dataset.drawn='1'}});
  document.body.dataset.charts=String(figs.length);document.body.dataset.drawn=String(drawn);
  document.body.dataset.errors=String(window.r1Errors.length);
  document.getElementById('status').textContent=drawn+'/'+figs.length+' charts drawn';
});
"""


def _page(output_dir, stats, charts, gen, kept, dropped, quarantined, handoff_n) -> str:
    funnel = stats.get("funnel", {})
    comp, recs = funnel.get("completions", {}), funnel.get("records", {})
    name = stats.get("recipe") or stats.get("mix") or os.path.basename(output_dir)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>r1data report: {_esc(name)}</title><style>{_STYLE}</style><script>{_SCRIPT}</script></head><body>",
        f"<h1>r1data report: {_esc(name)}</h1><p id='status'></p>",
        f"<p>records in {recs.get('in', 0):,} (ok {recs.get('ok', 0):,}, quarantined {recs.get('quarantined', 0):,}); "
        f"completions in {comp.get('in', 0):,} → kept <b>{comp.get('kept', 0):,}</b>, dropped {comp.get('dropped', 0):,}. "
        f"Fingerprint <code>{_esc(stats.get('fingerprint', '–'))}</code>.</p>",
    ]
    if gen:
        per_row = gen.get("completion_tokens_per_kept_row")
        per_row = "– (no row published)" if per_row is None else per_row
        parts.append(
            "<h2>Generation cost</h2><table><tr><th>requests sent</th><th>completion tokens</th>"
            "<th>completion tokens per kept row</th><th>tokens/s per task</th></tr>"
            f"<tr><td>{_esc(gen.get('requests_sent', '–'))}</td><td>{_esc(gen.get('tokens_completion', '–'))}</td>"
            f"<td><b>{_esc(per_row)}</b></td><td>{_esc(gen.get('completion_tokens_per_s', '–'))}</td></tr></table>"
        )
        if gen.get("cap_hit_rate"):  # the budget ladder: cuts per budget, rescues, their tokens
            rows = "".join(
                f"<tr><td>{_esc(b)}</td><td>{_esc(int(gen.get(f'truncated_at_{b}', 0)))}</td><td>{rate:.1%}</td></tr>"
                for b, rate in gen["cap_hit_rate"].items()
            )
            rescued = ", ".join(
                f"{m.removeprefix('rescued_')} {int(v)}"
                for m, v in sorted(gen.items())
                if m.startswith("rescued_")
            )
            parts.append(
                "<h3>Budget ladder</h3><table><tr><th>budget (tokens)</th><th>samples cut</th>"
                f"<th>cap-hit rate</th></tr>{rows}</table><p>Rescued: {_esc(rescued or 'none')}; "
                f"{_esc(int(gen.get('tokens_rescue', 0)))} completion tokens spent on rescues; "
                f"{_esc(gen.get('completion_tokens_per_kept_row_without_rescues'))} completion tokens per kept "
                f"row without them; {_esc(int(gen.get('forced_close_rows', 0)))} kept rows closed by force.</p>"
            )
    else:
        parts.append(
            "<h2>Generation cost</h2><p>This run generated nothing (it curated existing completions).</p>"
        )
    if stats.get("quotas"):
        from r1data.data_cards.card import QUOTA_COLUMNS, quota_cells

        parts.append("<h2>Quotas</h2>")
        parts += [
            f"<p class='warning' role='alert'>Shortage: {_esc(w)}.</p>" for w in stats.get("warnings") or []
        ]
        parts.append("<table><tr>" + "".join(f"<th>{c}</th>" for c in QUOTA_COLUMNS) + "</tr>")
        for q in stats["quotas"]:
            parts.append("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in quota_cells(q)) + "</tr>")
        parts.append("</table>")
    parts.append("<h2>Charts</h2><div class='charts'>")
    for key, title, svg in charts.items:
        parts.append(f"<figure class='chart' id='chart-{key}' aria-label='{_esc(title)}'>{svg}</figure>")
    parts.append("</div>")
    parts.append(f"<h2>Kept rows (a sample of {len(kept)})</h2>")
    for row in kept:
        parts.append(
            f"<h3>{_esc(row.get('id'))} <small>{_esc(row.get('domain'))}, teacher {_esc(row.get('teacher'))}, "
            f"pass rate {_esc(round(row['pass_rate'], 3) if row.get('pass_rate') is not None else '–')}</small></h3><pre>{_esc(_clip(row.get('problem') or ''))}</pre>"
            f"<pre>{_esc(_clip(row.get('reasoning') or '', 400))}</pre><pre>{_esc(_clip(row.get('summary') or '', 400))}</pre>"
        )
    recorded = bool(dropped) and "reason" in dropped[0]
    parts.append(
        f"<h2>Completions that were not kept ({len(dropped)}: one for each recorded reason)</h2>"
        "<p>Every dropped completion is in <code>excluded/</code> with its reason: browse them with "
        f"<code>r1data view {_esc(os.path.basename(os.path.abspath(output_dir)))}</code> (then <code>/?reason=NAME</code>).</p>"
        if recorded
        else f"<h2>Completions that were not kept (a sample of {len(dropped)}, from {handoff_n:,} hand-off records)</h2>"
    )
    if not dropped:
        parts.append("<p>None left in the last hand-off (drops of earlier steps are counted in the funnel; "
                     "<code>exclusions:</code> on a step keeps them).</p>")  # fmt: skip
    for d in dropped:
        r, c = d["record"], d["completion"]
        parts.append(
            f"<h3>{_esc(r.get('id'))} <span class='why'>{_esc(d['why'])}</span></h3>"
            f"<pre>{_esc(_clip(str(r.get('prompt') or ''), 300))}</pre><pre>{_esc(_clip(c.get('text') or '', 400))}</pre>"
        )
    if quarantined:
        parts.append("<h2>Quarantined input (a sample)</h2><table><tr><th>reason</th><th>line</th></tr>")
        for q in quarantined:
            reason = q.get("reason") or q.get("quarantine_reason") or q.get("error")
            parts.append(
                f"<tr><td class='why'>{_esc(reason)}</td><td><pre>{_esc(_clip(json.dumps(q, ensure_ascii=False), 300))}</pre></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)


def write_report(output_dir: str, out_path: str | None = None) -> str:
    """Write ``report.html`` (default ``DIR/report.html``)."""
    out_path = out_path or os.path.join(output_dir, "report.html")
    page = build_report(output_dir)
    from r1data.io.files import write_atomic

    write_atomic(out_path, page.encode("utf-8"))
    return out_path
