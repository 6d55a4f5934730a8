"""`r1data view` over real folders: the quickstart's run (every sample with its recorded reason, as the
stable JSON URLs give it and as stats.json and the exclusion files say), a mix, an eval of a real
model's outputs; what it refuses to serve; a start-up that does not wait for the index; and the app in
a real browser (Debian's chromium driven by Playwright): click a reason, count its rows, open a prompt,
see its samples and a rendered formula."""

from __future__ import annotations

import collections
import gzip
import json
import shutil
import threading
import time
import urllib.error
import urllib.request

import pytest

from r1data.cli import main as cli
from r1data.view.server import make_server
from tests.conftest import REPO, shared_file

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def serve(folder, wait=True):
    server, viewer = make_server(str(folder), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    if wait:
        assert viewer.index.wait(120), viewer.index.progress
    return server, viewer, f"http://127.0.0.1:{server.server_address[1]}"


def get(url: str):
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read().decode()
        return json.loads(body) if r.headers["Content-Type"].startswith("application/json") else body


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory):
    out = tmp_path_factory.mktemp("view") / "qs"
    assert cli(["run", str(REPO / "recipes" / "quickstart.yaml"), "--output", str(out), "-q"]) == 0
    return out


def _excluded(folder) -> collections.Counter:
    reasons = collections.Counter()
    for path in (folder / "excluded").rglob("*.jsonl.gz"):
        with gzip.open(path, "rt") as f:
            for line in f:
                record = json.loads(line)
                for c in record["completions"]:
                    reasons[(record["id"], c["sample_index"], c["excluded_reason"])] += 1
    return reasons


def test_every_sample_of_the_run_is_listed_with_its_recorded_reason(quickstart):
    stats = json.loads((quickstart / "stats.json").read_text())["funnel"]["completions"]
    excluded = _excluded(quickstart)
    server, _, base = serve(quickstart)
    try:
        for reason, count in stats["dropped_by_reason"].items():
            page = get(f"{base}/api/completions?reason={reason}&limit=500")
            assert page["total"] == count == len(page["items"]), reason
            assert all(item["reason"] == reason and not item["kept"] for item in page["items"])
            assert all(excluded[(i["prompt_id"], i["sample_index"], reason)] == 1 for i in page["items"])
        kept = get(f"{base}/api/completions?kept=1&limit=500")
        assert kept["total"] == stats["kept"]
        everything = get(f"{base}/api/completions?limit=1")["total"]
        assert everything == stats["in"]  # every sample, kept or dropped, exactly once
        # paging: the same items, in pages
        first, second = (
            get(f"{base}/api/completions?reason=fail_not_equivalent&limit=20&offset={o}") for o in (0, 20)
        )
        assert first["total"] == second["total"] and not {(i["prompt_id"], i["sample_index"]) for i in first["items"]} & {
            (i["prompt_id"], i["sample_index"]) for i in second["items"]}  # fmt: skip
        prompt = get(f"{base}/api/prompt/sample-000")
        assert sorted(s["sample_index"] for s in prompt["samples"]) == list(range(6))
        for s in prompt["samples"]:
            if not s["kept"]:
                assert excluded[("sample-000", s["sample_index"], s["reason"])] == 1
        assert "What is the sum" in str(prompt["prompt"]) and prompt["reference"] == {"answer": "5382"}
        html = get(f"{base}/prompt/sample-000")
        assert html.count("data-sample=") == 6 and "<details><summary>reasoning" in html
        home = get(f"{base}/")
        for reason in stats["dropped_by_reason"]:
            assert f"/?reason={reason}" in home
    finally:
        server.shutdown()


def test_nothing_outside_the_folder_is_served(quickstart):
    server, _, base = serve(quickstart)
    try:
        for path in ["/static/mathjax/../../../../../etc/passwd", "/static/mathjax/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                     "/api/prompt/..%2f..%2fstats.json", "/prompt/%2e%2e%2f", "/stats.json", "/etc/passwd",
                     "/data/train-00000-of-00001.parquet"]:  # fmt: skip
            with pytest.raises(urllib.error.HTTPError) as err:
                get(base + path)
            assert err.value.code == 404, path
        assert len(get(f"{base}/static/mathjax/tex-svg.js")) > 100_000  # the shipped MathJax
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.shutdown()


def test_an_eval_folder_shows_each_sample_with_its_answer_beside_the_reference(tmp_path):
    path = shared_file("model_outputs/Sky-T1-math-corrupt-0.7-32B--amc23.jsonl")
    (tmp_path / "map.yaml").write_text(
        "benchmark: amc2023\nmapping: {id: idx, prompt: question, reference.answer: answer, "
        "completions: {column: code, each: text}}\n"
    )
    out = tmp_path / "eval"
    assert cli(["eval", str(path), "--mapping", str(tmp_path / "map.yaml"), "--output", str(out), "-q"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    server, _, base = serve(out)
    try:
        correct = get(f"{base}/api/completions?kept=1")["total"]
        assert correct == round(metrics["pass@1"] * metrics["n_samples"])
        assert get(f"{base}/api/completions?benchmark=amc2023")["total"] == metrics["n_samples"]
        first = get(f"{base}/api/completions?limit=1")["items"][0]
        prompt = get(f"{base}/api/prompt/{first['prompt_id']}")
        sample = prompt["samples"][0]
        assert sample["extracted_answer"] and prompt["reference"]["answer"]
        assert "answer read" in get(f"{base}/prompt/{first['prompt_id']}")
    finally:
        server.shutdown()


def test_a_mix_folder_shows_its_rows(tmp_path, quickstart):
    (tmp_path / "mix.yaml").write_text(
        f"name: m\nsources: [{{name: a, path: {quickstart}}}]\nsubsets: {{reasoning: {{sources: [a], total: 20}}}}\n"
        "shortage: cap\ncard: {license: apache-2.0}\n"
    )
    assert cli(["mix", str(tmp_path / "mix.yaml"), "--output", str(tmp_path / "mix"), "-q"]) == 0
    server, _, base = serve(tmp_path / "mix")
    try:
        assert get(f"{base}/api/completions?kept=1")["total"] == 20
        assert "counts only" in get(f"{base}/")
    finally:
        server.shutdown()


def test_the_funnel_is_served_before_the_index_is_built(tmp_path):
    """A large folder: the entry page answers at once; the lists say the index is building."""
    folder = tmp_path / "big"
    (folder / "excluded" / "verify").mkdir(parents=True)
    n = 60_000
    with gzip.open(folder / "excluded" / "verify" / "00_verify_00000.jsonl.gz", "wt") as f:
        for i in range(n // 4):
            completions = [{"text": f"<think>\nwork {i} {j}\n</think>\n\n$x = {j}$", "sample_index": j,
                            "verdict": {"label": "fail", "reason": "not_equivalent", "verifier": "math"},
                            "excluded_reason": "fail_not_equivalent"} for j in range(4)]  # fmt: skip
            f.write(
                json.dumps({"id": f"p{i}", "domain": "math", "prompt": "?", "completions": completions})
                + "\n"
            )
    (folder / "stats.json").write_text(json.dumps({"funnel": {
        "records": {"in": n // 4, "ok": n // 4, "quarantined": 0},
        "completions": {"in": n, "kept": 0, "dropped": n, "dropped_by_reason": {"fail_not_equivalent": n}}}}))  # fmt: skip
    start = time.monotonic()
    server, viewer, base = serve(folder, wait=False)
    try:
        home = get(f"{base}/")
        assert time.monotonic() - start < 5 and "fail_not_equivalent" in home
        if not viewer.index.ready():
            assert "indexing the folder" in home
            with pytest.raises(urllib.error.HTTPError) as err:
                get(f"{base}/api/completions")
            assert err.value.code == 503
        assert viewer.index.wait(300)
        assert get(f"{base}/api/completions?reason=fail_not_equivalent&limit=1")["total"] == n
    finally:
        server.shutdown()


def test_in_a_real_browser_a_reason_its_rows_a_prompt_and_a_rendered_formula(quickstart, tmp_path):
    if BROWSER is None:
        pytest.skip("no headless browser (chromium): `make test` installs Debian's chromium when it can")
    playwright = pytest.importorskip("playwright.sync_api")
    stats = json.loads((quickstart / "stats.json").read_text())["funnel"]["completions"]["dropped_by_reason"]
    server, _, base = serve(quickstart)
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which(BROWSER), args=["--no-sandbox"])
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(base + "/")
            page.click("a.reason:text-is('language_mixed')")
            page.wait_for_url("**/?reason=language_mixed")
            assert page.locator("tr.row").count() == stats["language_mixed"]
            assert page.locator("#total").get_attribute("data-total") == str(stats["language_mixed"])
            page.locator("tr.row a").first.click()
            page.wait_for_selector(".sample")
            samples = page.locator(".sample")
            assert samples.count() == 6
            reasons = {samples.nth(i).get_attribute("data-reason") for i in range(6)}
            assert "language_mixed" in reasons
            page.wait_for_function("document.body.dataset.math === 'done'", timeout=60_000)
            assert page.locator("mjx-container").count() > 0  # the formulas, typeset by the shipped MathJax
            page.screenshot(path=str(tmp_path / "prompt.png"), full_page=False)
            browser.close()
        assert not errors, errors
        assert (tmp_path / "prompt.png").stat().st_size > 10_000
    finally:
        server.shutdown()
