"""Ordinary mistakes, made as a user makes them (a real subprocess each): every one ends with exit 2 and
one line on stderr, ``r1data <command>: error: <what> (<how to fix>)``, no traceback, and no output
folder left behind that was not there before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, record, write_jsonl

QUICKSTART = str(REPO / "recipes" / "quickstart.yaml")


def recipe(tmp: Path, body: str) -> str:
    path = tmp / "r.yaml"
    path.write_text(body)
    return str(path)


def minimal(input_path: str, extra: str = "") -> str:
    return (
        f"name: m\ninput: {{path: {input_path}}}\n{extra}"
        "stages:\n  - {name: s, steps: [verify, {select: {policy: all}}, format_r1]}\n"
    )


def jsonl(tmp: Path, rows=None) -> str:
    return str(write_jsonl(tmp / "in.jsonl", rows or [record("a")]))


# name → (argv built from a temporary folder T, what the line must say); OUT is a folder that must not exist after
MISTAKES = {
    "run_recipe_missing": (
        lambda t: ["run", str(t / "nope.yaml"), "-o", str(t / "OUT")],
        "no such recipe file",
    ),
    "run_recipe_not_yaml": (
        lambda t: ["run", recipe(t, "name: [x\n"), "-o", str(t / "OUT")],
        "not valid YAML",
    ),
    "run_recipe_unknown_step": (
        lambda t: ["run", recipe(t, minimal(jsonl(t)).replace("verify,", "verifyy,")), "-o", str(t / "OUT")],
        "unknown step 'verifyy'",
    ),
    "run_recipe_wrong_type": (
        lambda t: [
            "run",
            recipe(t, minimal(jsonl(t)).replace("policy: all", "policy: all, k: two")),
            "-o",
            str(t / "OUT"),
        ],
        "field 'k': 'two' is not an int",
    ),
    "run_recipe_unknown_field": (
        lambda t: ["run", recipe(t, minimal(jsonl(t), "outptu: {split: train}\n")), "-o", str(t / "OUT")],
        "unknown parameters ['outptu']",
    ),
    "run_input_missing": (
        lambda t: ["run", recipe(t, minimal(str(t / "missing.jsonl"))), "-o", str(t / "OUT")],
        "missing.jsonl",
    ),
    "run_env_unset": (
        lambda t: ["run", recipe(t, minimal("${R1DATA_NOT_SET_ANYWHERE}")), "-o", str(t / "OUT")],
        "R1DATA_NOT_SET_ANYWHERE is not set",
    ),
    "run_slurm_without_slurm": (
        lambda t: [
            "run",
            recipe(t, minimal(jsonl(t), "executor: {type: slurm, partition: cpu}\n")),
            "-o",
            str(t / "OUT"),
        ],
        "Slurm",
    ),
    "run_ray_unreachable": (
        lambda t: [
            "run",
            recipe(t, minimal(jsonl(t), "executor: {type: ray, address: 'ray://127.0.0.1:9'}\n")),
            "-o",
            str(t / "OUT"),
        ],
        "Ray",
    ),
    "run_output_is_a_file": (
        lambda t: ["run", QUICKSTART, "-o", str(_file(t / "afile"))],
        "not a folder",
    ),
    "run_detach_without_slurm": (
        lambda t: ["run", QUICKSTART, "-o", str(t / "OUT"), "--detach"],
        "--detach needs",
    ),
    "status_not_a_run": (lambda t: ["status", str(_dir(t / "empty"))], "not an r1data run folder"),
    "status_missing": (lambda t: ["status", str(t / "OUT")], "no such run folder"),
    "verify_input_missing": (
        lambda t: ["verify", str(t / "nope.jsonl"), str(t / "OUT" / "o.jsonl")],
        "no such input file",
    ),
    "verify_judge_half": (
        lambda t: [
            "verify",
            jsonl(t),
            str(t / "OUT" / "o.jsonl"),
            "--judge-endpoint",
            "http://127.0.0.1:9/v1",
        ],
        "a judge needs an endpoint and a model",
    ),
    "verify_bad_timeout": (
        lambda t: ["verify", jsonl(t), str(t / "OUT" / "o.jsonl"), "--timeout", "soon"],
        "invalid float value",
    ),
    "filter_input_missing": (
        lambda t: ["filter", str(t / "nope.jsonl"), str(t / "OUT" / "o.jsonl")],
        "no such input file",
    ),
    "generate_no_backend": (
        lambda t: ["generate", jsonl(t), str(t / "OUT" / "o.jsonl")],
        "exactly one of endpoints",
    ),
    "generate_no_model_name": (
        lambda t: ["generate", jsonl(t), str(t / "OUT" / "o.jsonl"), "--endpoint", "http://127.0.0.1:9/v1"],
        "needs a model name",
    ),
    "generate_bad_method": (
        lambda t: [
            "generate",
            jsonl(t),
            str(t / "OUT" / "o.jsonl"),
            "--endpoint",
            "http://x/v1",
            "--model",
            "m",
            "--method",
            "magic",
        ],
        "invalid choice: 'magic'",
    ),
    "generate_engine_model_missing": (
        lambda t: ["generate", jsonl(t), str(t / "OUT" / "o.jsonl"), "--vllm-model", str(t / "no-model")],
        "no-model",
    ),
    "eval_nothing_to_score": (lambda t: ["eval", "--output", str(t / "OUT")], "give IN.jsonl"),
    "eval_unknown_benchmark": (
        lambda t: ["eval", "--benchmark", "mmlu", "--output", str(t / "OUT")],
        "invalid choice: 'mmlu'",
    ),
    "eval_foreign_file_without_mapping": (
        lambda t: [
            "eval",
            str(write_jsonl(t / "f.jsonl", [{"question": "1+1?", "gt": "2", "code": ["2"]}])),
            "--output",
            str(t / "OUT"),
        ],
        "--mapping",
    ),
    "eval_mapping_missing": (
        lambda t: ["eval", jsonl(t), "--mapping", str(t / "nope.yaml"), "--output", str(t / "OUT")],
        "nope.yaml",
    ),
    "eval_compare_not_an_eval": (lambda t: ["eval", "--compare", str(_dir(t / "empty"))], "metrics.json"),
    "mix_recipe_missing": (
        lambda t: ["mix", str(t / "nope.yaml"), "-o", str(t / "OUT")],
        "no such recipe file",
    ),
    "mix_source_missing": (
        lambda t: [
            "mix",
            recipe(
                t,
                "name: m\nsources: [{name: a, path: no-such-folder}]\nsubsets: {all_rows: {sources: [a], total: 5}}\n",
            ),
            "-o",
            str(t / "OUT"),
        ],
        "no-such-folder",
    ),
    "publish_bad_repo_id": (
        lambda t: ["publish", str(_dir(t / "empty")), "notarepoid", "--dry-run"],
        "repo id",
    ),
    "publish_not_a_run": (
        lambda t: ["publish", str(_dir(t / "empty")), "org/name", "--dry-run"],
        "stats.json",
    ),
    "report_not_a_run": (lambda t: ["report", str(_dir(t / "empty"))], "stats.json"),
    "bond_recipe_incomplete": (
        lambda t: ["bond", recipe(t, "name: b\n"), "-o", str(t / "OUT")],
        "is required",
    ),
    "train_unknown_method": (lambda t: ["train", "dpo"], "usage: r1data train"),
    "train_model_missing": (
        lambda t: [
            "train",
            "sft",
            "--model_name_or_path",
            str(t / "no-model"),
            "--dataset_name",
            jsonl(t),
            "--output_dir",
            str(t / "OUT"),
        ],
        "no-model",
    ),
    "unknown_command": (lambda t: ["verfy"], "invalid choice: 'verfy'"),
}


def _file(path: Path) -> Path:
    path.write_text("x")
    return path


def _dir(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def test_the_table_is_large_enough():
    assert len(MISTAKES) >= 25


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_mistake_is_one_line_and_exit_2(tmp_path, name):
    build, says = MISTAKES[name]
    argv = build(tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PATH": _path_without_slurm()} if "slurm" in name else None
    done = subprocess.run(
        [sys.executable, "-m", "r1data.cli", *argv], capture_output=True, text=True, timeout=300, env=env
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, (name, done.returncode, done.stderr[-1500:])
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    command = {"train": " ".join(argv[:2]), "verfy": ""}.get(argv[0], argv[0])
    if name != "train_unknown_method":
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"r1data {command}: error: ".replace(" :", ":")), lines[0]
    assert says in done.stderr, (says, done.stderr)
    assert not (tmp_path / "OUT").exists(), f"{name} left an output folder behind"


def _path_without_slurm() -> str:
    """PATH without the folders of sbatch/squeue (as on a machine with no Slurm)."""
    import shutil

    found = {os.path.dirname(shutil.which(b) or "") for b in ("sbatch", "squeue", "sinfo")} - {""}
    return (
        os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if p not in found) or "/nonexistent"
    )


def test_a_closed_pipe_ends_quietly(tmp_path):
    out = tmp_path / "qs"
    subprocess.run([sys.executable, "-m", "r1data.cli", "run", QUICKSTART, "-o", str(out), "-q"], check=True,
                   capture_output=True)  # fmt: skip
    for argv in (["status", str(out), "--json"], ["run", QUICKSTART, "-o", str(out), "-q"]):
        cmd = " ".join([sys.executable, "-m", "r1data.cli", *argv])
        done = subprocess.run(
            f"{cmd} | head -c 20 > /dev/null", shell=True, capture_output=True, text=True, timeout=300
        )
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr[-1500:]
