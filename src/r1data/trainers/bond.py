"""``r1data bond RECIPE [--output DIR]``: iterated Best-of-N distillation (BOND-style) in rounds.

Each round takes the current policy and

1. **samples** ``n`` completions per prompt from it and verifies them (``r1data eval`` with the vLLM
   engine: ``ROUND/samples``, whose ``metrics.json`` is the policy's pass@1 on the training prompts);
2. **keeps the best** per prompt (``r1data run`` of a select → format_r1 recipe: ``ROUND/best``, a
   Hub-layout folder with its funnel; the policy is ``select``'s, by default ``shortest`` among the
   verified-correct, ``best_correct`` with a reward-model ``scorer``);
3. **trains** the policy on them (``r1data train sft``: ``ROUND/model``);
4. **evaluates** the trained model (``r1data eval`` on the ``evaluate`` set: ``ROUND/eval``).

The trained model is the next round's policy. Every step is one r1data command run as a subprocess
(its log in ``ROUND/logs``, the exact command line in ``DIR/bond.json``), so any step can be rerun by
hand; a step whose output is complete is skipped, so a relaunched run resumes where it stopped.
Sampling and evaluation run under ``python`` (an interpreter with vLLM; default: this one), training
under this interpreter (TRL). ``DIR/bond.json`` and ``DIR/report.md`` give the rounds side by side.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import yaml
from pydantic import ConfigDict, model_validator

from r1data.core.configs import Config, config_argv, option
from r1data.io.files import write_atomic

_NOT_SAMPLING = {"endpoints", "vllm_model", "cache", "cache_dir", "engine", "think_prefix"}


class BondEvaluate(Config):
    model_config = ConfigDict(extra="allow")  # generation fields for `r1data eval` (n, temperature …)

    input: str | None = option(None, "prompt records to evaluate each round's model on")
    benchmark: str | None = option(None, "instead of input: a built-in benchmark")
    k: int | None = option(None, "cons@k over the first k samples", ge=1)

    @model_validator(mode="after")
    def _one_set(self) -> BondEvaluate:
        if bool(self.input) == bool(self.benchmark):
            raise ValueError("evaluate needs exactly one of `input` or `benchmark`")
        return self


class BondRecipe(Config):
    """A BOND recipe: the first policy, the training prompts, the rounds, and how each round samples,
    selects, trains and evaluates."""

    name: str = option(..., "the run's name (default output: outputs/<name>)")
    policy: str = option(..., "the round-1 policy: a local model folder or a Hub id")
    prompts: str = option(..., "prompt records with `reference` (the `r1data verify` input)")
    rounds: int = option(2, "rounds of sample → select → train → evaluate", ge=1)
    python: str | None = option(
        None, "an interpreter with vLLM for sampling and evaluation (default: this one)"
    )
    sample: dict[str, Any] = option({}, "generation fields of `r1data eval` (n, temperature, …, engine)")
    select: dict[str, Any] = option({"policy": "shortest", "k": 1}, "the `select` step's parameters")
    train: dict[str, Any] = option({}, "`r1data train sft` fields (config: FILE allowed)")
    evaluate: BondEvaluate | None = option(None, "{input: FILE | benchmark: NAME, n, k, …generation fields}")
    baseline: bool = option(True, "also evaluate the round-1 policy before training (round-0/eval)")

    @model_validator(mode="after")
    def _runnable(self) -> BondRecipe:
        from r1data.filters.selection import SelectConfig

        # the sampling flags and the select parameters are checked now, not at the first subprocess
        SelectConfig(**self.select)
        self.eval_argv("x", "y", self.sample)
        if self.evaluate is not None:
            self.eval_argv("x", "y", self._eval_sampling())
        return self

    @classmethod
    def load(cls, path: str) -> BondRecipe:
        from r1data.core.paths import resolve_path
        from r1data.core.recipes import load_model

        def paths(raw: dict) -> dict:
            if isinstance(raw.get("prompts"), str):
                raw["prompts"] = resolve_path(raw["prompts"])
            if isinstance(raw.get("policy"), str) and os.path.exists(raw["policy"]):
                raw["policy"] = os.path.abspath(raw["policy"])
            evaluate = raw.get("evaluate")
            if isinstance(evaluate, dict) and isinstance(evaluate.get("input"), str):
                evaluate["input"] = resolve_path(evaluate["input"])
            return raw

        return load_model(path, cls, paths)

    def _eval_sampling(self) -> dict[str, Any]:
        ev = self.evaluate.model_dump(exclude_none=True) if self.evaluate else {}
        ev = {k: v for k, v in ev.items() if k not in ("input", "benchmark", "k")}
        return {**{k: v for k, v in self.sample.items() if k in ("engine", "max_tokens")}, **ev}

    def eval_argv(self, model: str, output: str, sampling: dict[str, Any]) -> list[str]:
        """``r1data eval`` flags generating with ``model`` under ``sampling`` into ``output``."""
        from r1data.generators.config import EngineOptions, GenerationConfig

        sampling = dict(sampling)
        engine = sampling.pop("engine", None) or {}
        think = sampling.pop("think_prefix", True)
        bad = sorted(set(sampling) & _NOT_SAMPLING)
        if bad:
            raise ValueError(f"BOND sampling cannot set {bad}: the round's policy is the model")
        argv = ["--output", output, "--vllm-model", model, *config_argv(GenerationConfig, sampling)]
        argv += config_argv(EngineOptions, engine)  # an option `r1data eval` has no flag for is refused
        return argv + ([] if think else ["--no-think-prefix"])


def _train_argv(train: dict[str, Any]) -> list[str]:
    argv = []
    for key, value in train.items():
        if key in ("model_name_or_path", "dataset_name", "output_dir"):
            raise ValueError(f"BOND sets train.{key} itself (the round's policy, best rows and model folder)")
        argv += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    return argv


class Bond:
    def __init__(self, recipe: BondRecipe, output_dir: str, progress: bool = True):
        self.recipe, self.dir, self.progress = recipe, os.path.abspath(output_dir), progress
        self.summary: dict[str, Any] = {"name": recipe.name, "rounds": [], "commands": []}

    def say(self, text: str) -> None:
        if self.progress:
            print(text, flush=True)

    def step(self, name: str, done: str, argv: list[str], python: str, log_dir: str) -> bool:
        """Run one r1data command unless ``done`` exists; True when it ran."""
        cmd = [python, "-m", "r1data.cli", *argv]
        self.summary["commands"].append(cmd)
        if os.path.exists(done):
            self.say(f"  {name}: done before, skipped")
            return False
        os.makedirs(log_dir, exist_ok=True)
        log = os.path.join(log_dir, f"{name}.log")
        start = time.monotonic()
        with open(log, "w") as f:
            code = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env={**os.environ}).returncode
        if code != 0 or not os.path.exists(done):
            with open(log) as f:
                tail = f.read()[-3000:]
            raise RuntimeError(f"BOND step {name} failed (exit {code}; log {log}):\n{tail}")
        self.say(f"  {name}: {time.monotonic() - start:.0f} s")
        return True

    def evaluate(self, model: str, out: str, log_dir: str) -> dict | None:
        ev = self.recipe.evaluate
        if ev is None:
            return None
        source = [ev.input] if ev.input else ["--benchmark", ev.benchmark]
        argv = ["eval", *source, *self.recipe.eval_argv(model, out, self.recipe._eval_sampling()), "-q"]
        argv += ["--k", str(ev.k)] if ev.k else []
        self.step("eval", os.path.join(out, "metrics.json"), argv, self.python, log_dir)
        return _headline(out)

    @property
    def python(self) -> str:
        return self.recipe.python or sys.executable

    def run(self) -> dict:
        r = self.recipe
        for path in (r.prompts, r.evaluate.input if r.evaluate else None):
            if path and not os.path.exists(path):
                raise FileNotFoundError(f"BOND recipe {r.name}: no file {path}")
        os.makedirs(self.dir, exist_ok=True)
        self._check_same_recipe()
        policy = r.policy
        if r.baseline and r.evaluate is not None:
            self.say(f"round 0: evaluating {policy}")
            base = os.path.join(self.dir, "round-0")
            self.summary["baseline"] = self.evaluate(
                policy, os.path.join(base, "eval"), os.path.join(base, "logs")
            )
        for index in range(1, r.rounds + 1):
            here = os.path.join(self.dir, f"round-{index}")
            logs = os.path.join(here, "logs")
            self.say(f"round {index}/{r.rounds}: policy {policy}")
            samples, best, model = (os.path.join(here, p) for p in ("samples", "best", "model"))
            sampling = {**r.sample, "seed": int(r.sample.get("seed") or 0) + index - 1}
            argv = ["eval", r.prompts, *r.eval_argv(policy, samples, sampling), "-q"]
            self.step("sample", os.path.join(samples, "metrics.json"), argv, self.python, logs)
            recipe_path = os.path.join(here, "best.yaml")
            write_atomic(recipe_path, yaml.safe_dump(self._best_recipe(index, samples)).encode())
            argv = ["run", recipe_path, "--output", best, "-q", "--allow-empty"]
            self.step("select", os.path.join(best, "stats.json"), argv, sys.executable, logs)
            stats = _read_json(os.path.join(best, "stats.json"))
            kept = stats["funnel"]["completions"]["kept"]
            entry: dict[str, Any] = {
                "round": index,
                "policy": policy,
                "samples": _headline(samples),
                "kept_rows": kept,
            }
            entry["funnel"] = stats["funnel"]
            if kept == 0:
                entry["stopped"] = "no completion of this round passed selection: nothing to train on"
                self.summary["rounds"].append(entry)
                self.say(f"  stopped: {entry['stopped']}")
                break
            argv = ["train", "sft", *_train_argv(r.train), "--model_name_or_path", policy]
            argv += ["--dataset_name", best, "--output_dir", model]
            # trainer_state.json lands in the model folder only when training finished (TRL writes a
            # README.md there at every checkpoint: not a sign of the end)
            self.step("train", os.path.join(model, "trainer_state.json"), argv, sys.executable, logs)
            entry["model"] = model
            entry["eval"] = self.evaluate(model, os.path.join(here, "eval"), logs)
            self.summary["rounds"].append(entry)
            self._write()
            policy = model
        self.summary["final_policy"] = policy
        self._write()
        return self.summary

    def _best_recipe(self, index: int, samples: str) -> dict:
        return {
            "name": f"{self.recipe.name}-round-{index}-best",
            "input": {"path": os.path.join(samples, "results.jsonl"), "source": f"round-{index}-samples"},
            "stages": [{"name": "select", "steps": [{"select": self.recipe.select}, "format_r1"]}],
        }

    def _check_same_recipe(self) -> None:
        path = os.path.join(self.dir, "bond_recipe.json")
        now = json.dumps(self.recipe.__dict__, sort_keys=True, default=str)
        if os.path.exists(path):
            with open(path) as f:
                before = f.read()
            if before != now:
                raise FileExistsError(
                    f"{self.dir} holds a BOND run of another recipe ({path}); use another --output"
                )
        else:
            write_atomic(path, now.encode())

    def _write(self) -> None:
        write_atomic(os.path.join(self.dir, "bond.json"), json.dumps(self.summary, indent=2).encode())
        write_atomic(os.path.join(self.dir, "report.md"), report(self.summary).encode())


def _read_json(path: str) -> dict:
    with open(path) as f:
        return json.load(f)


def _headline(eval_dir: str) -> dict:
    m = _read_json(os.path.join(eval_dir, "metrics.json"))
    return {
        "dir": eval_dir,
        "pass@1": m["pass@1"],
        "cons@k": m["cons@k"],
        "k": m["k"],
        "n_prompts": m["n_prompts"],
    }


def report(summary: dict) -> str:
    def pct(x):
        return "–" if x is None else f"{100 * x:.1f}"

    lines = [f"# BOND: {summary['name']}", "", "| round | policy | samples pass@1 | kept rows | eval pass@1 | eval cons@k |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    base = summary.get("baseline")
    if base:
        lines.append(f"| 0 | (start) | – | – | {pct(base['pass@1'])} | {pct(base['cons@k'])} |")
    for e in summary["rounds"]:
        ev = e.get("eval") or {}
        lines.append(
            f"| {e['round']} | `{os.path.basename(e['policy'])}` | {pct(e['samples']['pass@1'])} | {e['kept_rows']} "
            f"| {pct(ev.get('pass@1'))} | {pct(ev.get('cons@k'))} |"
        )
    return "\n".join(lines) + "\n"


def main(recipe_path: str, output_dir: str | None, progress: bool = True) -> int:
    recipe = BondRecipe.load(recipe_path)
    summary = Bond(recipe, output_dir or os.path.join("outputs", recipe.name), progress).run()
    print(report(summary))
    return 0
