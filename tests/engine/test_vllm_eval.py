"""`r1data eval` end to end against the real vLLM test server: generate k samples per prompt, verify,
compute the metrics; a rerun is served from the request cache and gives the same numbers."""

from __future__ import annotations

import json

from r1data.cli import main as cli
from r1data.pipelines.recipe import resolve_path
from r1data.verifiers.math_verifier import MathVerifier
from tests.engine.conftest import SERVED_NAME
from tests.engine.teacher import MATH_ANSWERS, read_jsonl


def test_eval_generates_with_the_r1_protocol_and_scores(vllm_server, tmp_path):
    source = resolve_path("package://r1data/sample/reasoning_prompts.jsonl")
    records = read_jsonl(source)
    out = tmp_path / "ev"
    argv = [
        "eval",
        source,
        "--output",
        str(out),
        "--endpoint",
        vllm_server,
        "--model",
        SERVED_NAME,
        "-n",
        "2",
    ]
    argv += ["--max-tokens", "300", "--no-think-prefix", "--seed", "0", "-q"]
    assert cli(argv) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (
        metrics["n_prompts"] == len(records)
        and metrics["n_samples"] == 2 * len(records)
        and metrics["k"] == 2
    )
    assert metrics["sampling"]["temperature"] == 0.6 and metrics["sampling"]["top_p"] == 0.95
    assert metrics["model"] == SERVED_NAME and "r1data" in metrics["versions"]
    # the tiny teacher answers each sample prompt with its memorised trace: as right as those traces are
    expected = [
        MathVerifier.fast(
            r["reference"],
            r["prompt"],
            {"text": f"<think>\n{MATH_ANSWERS[r['id']][0]}\n</think>\n\n{MATH_ANSWERS[r['id']][1]}"},
        )
        for r in records
    ]
    share = sum(v.get("label") == "pass" for v in expected) / len(records)
    assert abs(metrics["pass@1"] - share) <= 1 / len(records), (metrics["pass@1"], share)
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(len(r["completions"]) == 2 and r["majority_answer"] is not None for r in results)
    first = (out / "metrics.json").read_text()
    assert cli(argv) == 0  # resumed from the request cache: same completions, same numbers
    again = json.loads((out / "metrics.json").read_text())
    assert again["pass@1"] == json.loads(first)["pass@1"] and again["cons@k"] == json.loads(first)["cons@k"]
