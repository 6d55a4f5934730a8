"""``r1data view``: a local web app over a run, mix or eval folder (standard library HTTP server; MathJax
from the ``django-static-mathjax`` wheel; nothing fetched from the internet).

Stable URLs: ``/`` the funnel, each reason a link; ``/?reason=NAME`` (and ``stage``, ``label``,
``domain``, ``benchmark``, ``kept``, ``min_/max_pass_rate``, ``min_/max_language``, ``min_/max_chars``,
``q``, ``offset``, ``limit``) the matching samples; ``/prompt/ID`` one prompt with every sample; the same
as JSON: ``/api/completions?…`` → ``{"total", "offset", "limit", "items"}``, ``/api/prompt/ID`` → the
prompt with ``"samples"``; ``/api/status`` the index's progress. Nothing outside the folder is served:
ids are looked up in the index, never used as paths, and the only files are the folder's and the
shipped assets.
"""

from __future__ import annotations

import html
import json
import os
import re
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

from r1data.view.index import Index

PAGE_SIZE = 50
_MATHJAX_ROOT = None


def _mathjax_root() -> str | None:
    global _MATHJAX_ROOT
    if _MATHJAX_ROOT is None:
        try:
            _MATHJAX_ROOT = str(resources.files("mathjax").joinpath("static", "mathjax", "es5"))
        except ModuleNotFoundError:  # pragma: no cover - the wheel is a dependency
            _MATHJAX_ROOT = ""
    return _MATHJAX_ROOT or None


def _esc(value) -> str:
    return html.escape("" if value is None else str(value))


_FENCE = re.compile(r"```[\w+-]*\n(.*?)```", re.S)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^(#{1,6})\s+(.+)$", re.M)


def markdown(text: str) -> str:
    """A small, safe Markdown: escaped first, then code fences, inline code, bold and headings; the
    math is left as text for MathJax to typeset in the browser."""
    out, last = [], 0
    for m in _FENCE.finditer(text or ""):
        out.append(_inline(text[last : m.start()]))
        out.append(f"<pre class='code'>{_esc(m.group(1))}</pre>")
        last = m.end()
    out.append(_inline((text or "")[last:]))
    return "".join(out)


def _inline(text: str) -> str:
    text = _esc(text)
    text = _CODE.sub(r"<code>\1</code>", text)
    text = _BOLD.sub(r"<b>\1</b>", text)
    text = _HEADING.sub(lambda m: f"<b class='h'>{m.group(2)}</b>", text)
    return f"<div class='md'>{text}</div>"


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5rem auto;max-width:1400px;color:#222;padding:0 1rem}
a{color:#0b57d0}h1{font-size:1.4rem}h2{font-size:1.1rem;border-bottom:1px solid #ddd;margin-top:1.5rem}
table{border-collapse:collapse;font-size:.85rem;width:100%}td,th{border:1px solid #ddd;padding:.25rem .4rem;text-align:left;vertical-align:top}
.kept{color:#137333;font-weight:600}.dropped{color:#a50e0e;font-weight:600}.muted{color:#666}
.samples{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
.sample{border:1px solid #ddd;border-radius:6px;padding:.6rem}.sample.is-kept{border-color:#137333}
.md{white-space:pre-wrap;font-size:.9rem}pre.code{background:#f6f6f6;padding:.4rem;white-space:pre-wrap;font-size:.8rem}
details summary{cursor:pointer;color:#555}form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
form.filters label{font-size:.8rem;display:flex;flex-direction:column}.facts td:first-child{color:#555;width:9rem}
"""


def _page(title: str, body: str) -> bytes:
    mathjax = (
        "<script>window.MathJax={tex:{inlineMath:[['$','$'],['\\\\(','\\\\)']],displayMath:[['$$','$$'],['\\\\[','\\\\]']]},"
        "svg:{fontCache:'global'},startup:{ready:()=>{MathJax.startup.defaultReady();"
        "MathJax.startup.promise.then(()=>{document.body.dataset.math='done'})}}};</script>"
        "<script defer src='/static/mathjax/tex-svg.js'></script>"
        if _mathjax_root()
        else ""
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_esc(title)}</title>"
        f"<style>{_STYLE}</style>{mathjax}</head><body><p class='muted'><a href='/'>funnel</a> · "
        f"<a href='/?all=1'>all samples</a></p>{body}</body></html>"
    ).encode()


class Viewer:
    """The pages and the JSON of one folder."""

    def __init__(self, folder: str, index: Index | None = None):
        self.folder = os.path.abspath(folder)
        self.index = index or Index(self.folder)
        self.kind = self.index.kind

    def _stats(self) -> dict:
        name = "metrics.json" if self.kind == "eval" else "stats.json"
        with open(os.path.join(self.folder, name), encoding="utf-8") as f:
            return json.load(f)

    def status(self) -> dict:
        return {**self.index.progress, "ready": self.index.ready(), "kind": self.kind}

    def _waiting(self) -> str:
        p = self.index.progress
        if p.get("error"):
            return f"<p class='dropped'>the index could not be built: {_esc(p['error'])}</p>"
        return (
            f"<p class='muted' id='indexing'>indexing the folder: {p['files_done']}/{p['files']} files, "
            f"{p['samples']:,} samples so far — reload in a moment.</p>"
        )

    # -- pages ------------------------------------------------------------------------------------
    def home(self) -> bytes:
        stats = self._stats()
        parts = [
            f"<h1>r1data view: {_esc(os.path.basename(self.folder))} <span class='muted'>({self.kind})</span></h1>"
        ]
        if self.kind == "eval":
            parts.append(
                f"<p>{_esc(stats.get('model') or '')} on {_esc(stats.get('benchmark'))}: pass@1 "
                f"<b>{stats.get('pass@1', 0):.1%}</b> over {stats.get('n_prompts')} prompts × "
                f"{stats.get('k')} samples.</p>"
            )
            groups = (stats.get("groups") or {}).get("benchmark") or {}
            if groups:
                rows = "".join(
                    f"<tr><td><a href='/?benchmark={urllib.parse.quote(b)}'>{_esc(b)}</a></td>"
                    f"<td>{g.get('pass@1', 0):.1%}</td></tr>"
                    for b, g in groups.items()
                )
                parts.append(
                    f"<h2>Benchmarks</h2><table><tr><th>benchmark</th><th>pass@1</th></tr>{rows}</table>"
                )
            parts.append(
                "<p><a href='/?kept=1'>correct samples</a> · <a href='/?kept=0'>wrong samples</a></p>"
            )
        else:
            funnel = stats["funnel"]
            rec, comp = funnel["records"], funnel["completions"]
            parts.append(
                f"<h2>Funnel</h2><p>records in {rec.get('in', 0):,} → ok {rec.get('ok', 0):,}, quarantined "
                f"{rec.get('quarantined', 0):,}; completions in {comp.get('in', 0):,} → "
                f"<a href='/?kept=1' class='kept'>kept {comp.get('kept', 0):,}</a>, dropped {comp.get('dropped', 0):,}.</p>"
            )
            reasons = comp.get("dropped_by_reason") or {}
            from r1data.core.reasons import explain

            rows = "".join(
                f"<tr><td><a class='reason' href='/?reason={urllib.parse.quote(r)}'>{_esc(r)}</a></td>"
                f"<td data-count='{int(n)}'>{int(n):,}</td><td class='muted'>{_esc(explain('drop', r) or '')}</td></tr>"
                for r, n in reasons.items()
            )
            parts.append(
                "<h2>Dropped completions, by reason</h2><table><tr><th>reason</th><th>completions</th>"
                f"<th>what it means</th></tr>{rows}</table>"
            )
            if self.kind == "run" and not os.path.isdir(os.path.join(self.folder, "excluded")):
                parts.append(
                    "<p class='dropped'>This run wrote no exclusion files (output: {exclusions: false}, or a "
                    "run made before they were written by default): the drops are counts only.</p>"
                )
            if self.kind == "mix":
                parts.append("<p class='muted'>A mix's drops are counts only; its rows are browsable.</p>")
        if not self.index.ready():
            parts.append(self._waiting())
        return _page("r1data view", "".join(parts))

    def listing(self, query: dict[str, str]) -> bytes:
        if not self.index.ready():
            return _page("r1data view", self._waiting())
        offset, limit = int(query.get("offset") or 0), int(query.get("limit") or PAGE_SIZE)
        result = self.index.completions(query, offset, limit)
        facets = self.index.facets()
        form = ["<form class='filters' method='get' action='/'>"]
        for name in ("reason", "stage", "label", "domain", "benchmark"):
            options = "".join(
                f"<option value='{_esc(f['value'])}'{' selected' if query.get(name) == f['value'] else ''}>"
                f"{_esc(f['value'])} ({f['count']})</option>"
                for f in facets[name]
            )
            form.append(
                f"<label>{name}<select name='{name}'><option value=''>any</option>{options}</select></label>"
            )
        for name in (
            "min_pass_rate",
            "max_pass_rate",
            "min_language",
            "max_language",
            "min_chars",
            "max_chars",
            "q",
        ):
            form.append(
                f"<label>{name}<input name='{name}' size='8' value='{_esc(query.get(name, ''))}'></label>"
            )
        form.append("<button>filter</button></form>")
        rows = []
        for item in result["items"]:
            pid = urllib.parse.quote(item["prompt_id"], safe="")
            language = "" if item["language"] is None else f"{item['language']:.2f}"
            status = (
                "<span class='kept'>kept</span>"
                if item["kept"]
                else f"<span class='dropped'>{_esc(item['reason'])}</span>"
            )
            rows.append(
                f"<tr class='row'><td><a href='/prompt/{pid}#sample-{item['sample_index']}'>{_esc(item['prompt_id'])}</a></td>"
                f"<td>{item['sample_index']}</td><td>{status}</td><td>{_esc(item['stage'])}</td>"
                f"<td>{_esc(item['label'])}</td><td>{_esc(item['domain'])}</td>"
                f"<td>{language}</td><td>{item['chars']}</td>"
                f"<td class='muted'>{_esc((item['preview'] or '')[:160])}</td></tr>"
            )
        keep = {k: v for k, v in query.items() if k not in ("offset",) and v}
        nav = []
        if offset > 0:
            nav.append(
                f"<a href='/?{urllib.parse.urlencode({**keep, 'offset': max(0, offset - limit)})}'>previous</a>"
            )
        if offset + limit < result["total"]:
            nav.append(f"<a href='/?{urllib.parse.urlencode({**keep, 'offset': offset + limit})}'>next</a>")
        title = ", ".join(f"{k}={v}" for k, v in keep.items() if k != "all") or "all samples"
        body = (
            f"<h1>{_esc(title)}</h1>{''.join(form)}<p id='total' data-total='{result['total']}'>{result['total']:,} "
            f"samples; {offset + 1 if result['total'] else 0}–{min(offset + limit, result['total'])} shown. "
            f"{' · '.join(nav)}</p><table><tr><th>prompt</th><th>sample</th><th>kept / reason</th><th>stage</th>"
            f"<th>verdict</th><th>domain</th><th>language</th><th>chars</th><th>beginning</th></tr>{''.join(rows)}</table>"
        )
        return _page(title, body)

    def prompt_page(self, prompt_id: str) -> bytes | None:
        if not self.index.ready():
            return _page("r1data view", self._waiting())
        data = self.index.prompt(prompt_id)
        if data is None:
            return None
        from r1data.core.completion import trace_of

        reference = data.get("reference") or {}
        if isinstance(reference, dict) and "answer" in reference:
            reference = str(reference["answer"])
        elif not reference and data["samples"] and data["samples"][0].get("solution"):
            reference = str(data["samples"][0]["solution"])
        else:
            reference = json.dumps(reference, ensure_ascii=False)[:2000]
        parts = [
            f"<h1>prompt {_esc(prompt_id)}</h1><table class='facts'><tr><td>domain</td><td>{_esc(data.get('domain'))}</td></tr>"
            f"<tr><td>source</td><td>{_esc(data.get('source') or data.get('benchmark'))}</td></tr>"
            f"<tr><td>reference</td><td id='reference'>{markdown(reference)}</td></tr></table>",
            f"<h2>Prompt</h2>{markdown(_prompt_text(data))}",
            f"<h2>Samples ({len(data['samples'])})</h2><div class='samples'>",
        ]
        for s in data["samples"]:
            trace = trace_of(s) if s.get("text") else None
            reasoning = s.get("reasoning") or (trace.reasoning if trace else "")
            summary = s.get("summary") or (trace.summary if trace else s.get("text", ""))
            verdict = s.get("verdict") or {}
            filters = s.get("filters") or {}
            language = (filters.get("language") or {}).get("consistency")
            readability = (filters.get("readability") or {}).get("reasons")
            ladder = " → ".join(
                f"{e['budget']} {e['mode']} ({e['finish_reason']})" for e in s.get("ladder") or []
            )
            status = (
                "<span class='kept'>kept</span>"
                if s["kept"]
                else f"<span class='dropped'>dropped: {_esc(s['reason'])}</span>"
            )
            facts = [
                ("verdict", f"{verdict.get('label', s.get('label') or '')} {verdict.get('reason', '')}"),
                ("verifier", s.get("verifier") or verdict.get("verifier")),
                ("finish", s.get("finish_reason")),
                ("budget ladder", ladder or None),
                ("language", None if language is None else f"{language:.3f}"),
                (
                    "readability",
                    ", ".join(readability) if readability else ("ok" if filters.get("readability") else None),
                ),
                ("answer read", s.get("extracted_answer")),
                ("stage", s.get("stage")),
            ]
            rows = "".join(
                f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in facts if v not in (None, "")
            )
            parts.append(
                f"<div class='sample{' is-kept' if s['kept'] else ''}' id='sample-{s['sample_index']}' "
                f"data-sample='{s['sample_index']}' data-kept='{int(s['kept'])}' data-reason='{_esc(s['reason'] or '')}'>"
                f"<b>sample {s['sample_index']}</b> · {status}<table class='facts'>{rows}</table>"
                f"<details><summary>reasoning ({len(reasoning or ''):,} characters)</summary>{markdown(reasoning or '')}</details>"
                f"{markdown(summary or '')}</div>"
            )
        parts.append("</div>")
        return _page(f"prompt {prompt_id}", "".join(parts))


def _prompt_text(record: dict) -> str:
    prompt = record.get("prompt")
    if isinstance(prompt, list):
        return "\n\n".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
    if prompt is None and record.get("messages"):
        return "\n\n".join(str(m.get("content", "")) for m in record["messages"])
    return str(prompt or record.get("problem") or "")


def make_server(folder: str, host: str = "127.0.0.1", port: int = 8765, index: Index | None = None):
    """The HTTP server over ``folder`` (not started) and its viewer; the index builds in the background."""
    viewer = Viewer(folder, index)
    viewer.index.start()

    class Handler(BaseHTTPRequestHandler):
        server_version = "r1data-view"

        def log_message(self, *args):
            pass

        def _send(self, status: int, body: bytes, kind: str = "text/html; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, value, status: int = 200) -> None:
            self._send(
                status, json.dumps(value, ensure_ascii=False, default=str).encode(), "application/json"
            )

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
            path = urllib.parse.unquote(url.path)
            try:
                if path == "/":
                    filtered = any(k in query for k in (*Index.FILTERS, "all", "offset"))
                    return self._send(200, viewer.listing(query) if filtered else viewer.home())
                if path.startswith("/prompt/"):
                    page = viewer.prompt_page(path[len("/prompt/") :])
                    return (
                        self._send(200, page)
                        if page
                        else self._send(404, _page("not found", "<h1>no such prompt</h1>"))
                    )
                if path == "/api/status":
                    return self._json(viewer.status())
                if path == "/api/completions":
                    if not viewer.index.ready():
                        return self._json({"error": "indexing", **viewer.status()}, 503)
                    offset, limit = int(query.get("offset") or 0), int(query.get("limit") or PAGE_SIZE)
                    return self._json(viewer.index.completions(query, offset, limit))
                if path.startswith("/api/prompt/"):
                    if not viewer.index.ready():
                        return self._json({"error": "indexing", **viewer.status()}, 503)
                    data = viewer.index.prompt(path[len("/api/prompt/") :])
                    return self._json(data) if data else self._json({"error": "no such prompt"}, 404)
                if path.startswith("/static/mathjax/"):
                    return self._static(path[len("/static/mathjax/") :])
            except ValueError as exc:  # a malformed filter value
                return self._json({"error": str(exc)}, 400)
            self._send(404, _page("not found", "<h1>not found</h1>"))

        def _static(self, relative: str) -> None:
            root = _mathjax_root()
            target = os.path.normpath(os.path.join(root or "/nonexistent", relative))
            if (
                not root
                or not target.startswith(os.path.normpath(root) + os.sep)
                or not os.path.isfile(target)
            ):
                return self._send(404, b"not found", "text/plain")
            with open(target, "rb") as f:
                self._send(200, f.read(), "application/javascript")

    class Server(ThreadingHTTPServer):
        daemon_threads = True

    return Server((host, port), Handler), viewer
