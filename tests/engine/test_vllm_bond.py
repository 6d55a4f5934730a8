"""`r1data bond`: two rounds of iterated Best-of-N distillation on the tiny test teacher — sampling and
evaluation with the real vLLM engine (.venv-vllm), selection through `r1data run`, training with TRL
(`r1data train sft`, this environment); a relaunch skips every finished step."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.engine.conftest import REPO, offline_engine_env, vllm_python
from tests.engine.teacher import MATH_ANSWERS, read_jsonl
from tests.engine.test_vllm import REASONING, expected_math

pytest.importorskip("trl", reason="TRL is installed by the README's set-up (make setup)")


def _weights(model_dir: Path) -> dict:
    from safetensors.numpy import load_file

    return load_file(str(next(model_dir.glob("*.safetensors"))))


@pytest.mark.timeout(900)
def test_two_bond_rounds_sample_keep_the_best_train_and_evaluate(tiny_model, tmp_path):
    recipe = tmp_path / "bond.yaml"
    engine = "{dtype: float32, max_model_len: 4096, enforce_eager: true, gpu_memory_utilization: 0.1}"
    recipe.write_text(f"""
name: bond-tiny
policy: {tiny_model}
prompts: {REASONING}
rounds: 2
python: {vllm_python()}
sample: {{n: 3, max_tokens: 300, think_prefix: false, seed: 5, engine: {engine}}}
select: {{policy: shortest, k: 1}}
train: {{learning_rate: 1.0e-4, num_train_epochs: 1, per_device_train_batch_size: 2, max_length: 1024,
        use_cpu: true, bf16: false, report_to: none, save_strategy: "no"}}
evaluate: {{input: {REASONING}, n: 2, max_tokens: 300, think_prefix: false, engine: {engine}}}
baseline: false
""")
    out = tmp_path / "bond"
    cmd = [sys.executable, "-m", "r1data.cli", "bond", str(recipe), "--output", str(out)]
    first = subprocess.run(
        cmd, capture_output=True, text=True, env=offline_engine_env(), cwd=REPO, timeout=880
    )
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    summary = json.loads((out / "bond.json").read_text())
    rounds = summary["rounds"]
    assert [r["round"] for r in rounds] == [1, 2]
    # each round samples from the previous round's model
    assert rounds[0]["policy"] == tiny_model and rounds[1]["policy"] == str(out / "round-1" / "model")
    assert summary["final_policy"] == str(out / "round-2" / "model")
    for index, entry in enumerate(rounds, 1):
        here = out / f"round-{index}"
        sampled = json.loads((here / "samples" / "metrics.json").read_text())
        assert sampled["sampling"]["vllm_model"] == entry["policy"] and sampled["n_samples"] == 3 * 6
        # the teacher answers every prompt with its memorised trace: five right, rs-sq wrong; the best of
        # each right prompt's samples becomes one SFT row, the wrong prompt none
        rows = [
            r
            for f in sorted((here / "best" / "data").glob("*.parquet"))
            for r in pq.read_table(f).to_pylist()
        ]
        assert sorted(r["prompt_id"] for r in rows) == sorted(set(MATH_ANSWERS) - {"rs-sq"})
        assert all(r["messages"][-1]["content"] == expected_math(r["prompt_id"]) for r in rows)
        assert entry["kept_rows"] == 5 and entry["funnel"]["records"]["dropped_by_reason"] == {
            "no_correct": 1
        }
        # the round trained a new model that still answers as the data taught it
        assert entry["model"] == str(here / "model") and (here / "model" / "README.md").exists()
        assert entry["eval"]["pass@1"] == pytest.approx(5 / 6) and entry["eval"]["n_prompts"] == 6
        results = read_jsonl(here / "eval" / "results.jsonl")
        assert {r["id"]: r["n_correct"] for r in results} == {
            rid: 0 if rid == "rs-sq" else 2 for rid in MATH_ANSWERS
        }
    before, after = _weights(Path(tiny_model)), _weights(out / "round-2" / "model")
    changed = [
        k
        for k in after
        if k in before and before[k].shape == after[k].shape and (before[k] != after[k]).any()
    ]
    assert changed, "round 2's model has the teacher's weights: nothing was trained"
    report = (out / "report.md").read_text()
    assert "| 1 |" in report and "| 2 |" in report and "83.3" in report

    # a relaunch finds every step done and runs none of them
    again = subprocess.run(
        cmd, capture_output=True, text=True, env=offline_engine_env(), cwd=REPO, timeout=300
    )
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.count("done before, skipped") == 8, again.stdout
    assert json.loads((out / "bond.json").read_text())["rounds"] == rounds
