"""The `r1data` command as a user runs it (a real subprocess)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import record, write_jsonl


def r1data(*args, **kw):
    return subprocess.run(
        [sys.executable, "-m", "r1data.cli", *args], capture_output=True, text=True, timeout=300, **kw
    )


@pytest.mark.parametrize("args", [[], ["run"], ["verify"]])
def test_help_everywhere(args):
    result = r1data(*args, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: r1data")


def test_verify_contract(tmp_path):
    rows = [
        record(
            "a",
            "4",
            ("<think>2+2</think> $\\boxed{4}$", "<think>..</think> $\\boxed{5}$"),
            extra={"keep": [1]},
        ),
        {"id": "n", "domain": "math", "prompt": "q", "completions": [{"text": "\\boxed{1}"}]},  # no reference
        {"id": "w", "domain": "writing", "prompt": "a poem", "completions": [{"text": "roses"}]},
        "{not json",
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    result = r1data("verify", str(src), str(tmp_path / "out.jsonl"), "--workers", "1", "--quiet")
    assert result.returncode == 0, result.stderr
    assert "verified 3 records, 4 completions" in result.stdout
    assert "pass 1, fail 1, unknown 2; quarantined 1 line(s)" in result.stdout
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in out] == ["a", "n", "w"]
    assert out[0]["extra"] == {"keep": [1]}  # unknown fields survive
    a = out[0]["completions"]
    assert [(c["verdict"]["label"], c["correct"]) for c in a] == [("pass", True), ("fail", False)]
    assert a[1]["verdict"]["reason"] == "not_equivalent" and a[1]["verdict"]["verifier"] == "math"
    assert out[1]["completions"][0]["verdict"]["reason"] == "no_reference"
    assert out[1]["completions"][0]["correct"] is None
    assert out[2]["completions"][0]["verdict"] == {
        "label": "unknown",
        "reason": "no_rule_verifier",
        "verifier": "none",
    }
    (q,) = [json.loads(line) for line in (tmp_path / "out.jsonl.quarantine.jsonl").read_text().splitlines()]
    assert q["reason"] == "invalid_json" and q["where"].endswith("in.jsonl:4")


def test_verify_missing_input_is_a_clear_error(tmp_path):
    result = r1data("verify", str(tmp_path / "nope.jsonl"), str(tmp_path / "o.jsonl"))
    assert result.returncode == 2 and "no such input file" in result.stderr


def test_run_prints_the_funnel_and_where_the_output_went(tmp_path):
    result = r1data("run", "recipes/quickstart.yaml", "--output", str(tmp_path / "qs"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "records      in       43 → ok 40, quarantined 3" in result.stdout
    assert "completions  in      240 → kept 60, dropped 180" in result.stdout
    assert f"output:  {tmp_path / 'qs'}" in result.stdout
    assert os.path.exists(tmp_path / "qs" / "data" / "train-00000-of-00001.parquet")


def test_run_with_a_broken_recipe_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\ninput: {path: a.jsonl}\nstages: [{name: s, steps: [{select: {policy: best}}, format_r1]}]\n"
    )
    result = r1data("run", str(bad), "--output", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "unknown selection policy 'best'" in result.stderr
