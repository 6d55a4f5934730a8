"""`r1data report`: one self-contained page, rendered in a real headless browser (Debian's chromium):
every chart draws, no script error, and the page points at nothing on the network."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from r1data.pipelines import load_recipe, run_recipe
from tests.conftest import REPO

BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "qs"
    run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), str(out))
    return out


def _render(page, tmp_path, screenshot=None) -> dict[str, str]:
    if BROWSER is None:
        pytest.skip("no headless browser (chromium): `make test` installs Debian's chromium when it can")
    args = [BROWSER, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    if screenshot:
        shot = subprocess.run([*args, "--window-size=1200,1600", f"--screenshot={screenshot}", page.as_uri()],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
        assert shot.returncode == 0, shot.stderr[-2000:]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dom.stdout)
    assert body, dom.stdout[:500]
    return dict(re.findall(r'data-([a-z]+)="([^"]*)"', body.group(1)))


def test_run_writes_a_self_contained_report_whose_charts_all_draw(run_dir, tmp_path):
    page = run_dir / "report.html"
    text = page.read_text()
    # no script, style sheet or image from the network (nor any other external reference)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", text)
    assert "<link" not in text and not re.search(r"<script[^>]*\bsrc=", text)
    for chart in (
        "funnel",
        "drop_reasons",
        "pass_rate",
        "reasoning_tokens",
        "summary_tokens",
        "language_consistency",
    ):
        assert f"id='chart-{chart}'" in text
    assert "fail_not_equivalent" in text and "sample-" in text  # drop reasons and sample rows
    state = _render(page, tmp_path, screenshot=tmp_path / "report.png")
    assert state == {"charts": "6", "drawn": "6", "errors": "0"}, state
    png = (tmp_path / "report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_the_browser_check_sees_a_chart_that_did_not_draw_and_a_script_error(run_dir, tmp_path):
    text = (run_dir / "report.html").read_text()
    broken = re.sub(
        r"(<figure class='chart' id='chart-funnel'[^>]*>)<svg.*?</svg>",
        r"\1<svg></svg>",
        text,
        count=1,
        flags=re.S,
    )
    broken = broken.replace("</body>", "<script>notAFunction();</script></body>")
    page = tmp_path / "broken.html"
    page.write_text(broken)
    state = _render(page, tmp_path)
    assert state["charts"] == "6" and state["drawn"] == "5"
    assert state["errors"] == "1"


def test_report_command(run_dir, tmp_path):
    out = tmp_path / "elsewhere.html"
    done = subprocess.run([sys.executable, "-m", "r1data.cli", "report", str(run_dir), "--output", str(out)],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0 and out.exists() and str(out) in done.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "r1data.cli", "report", str(tmp_path)], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "no stats.json" in missing.stderr
