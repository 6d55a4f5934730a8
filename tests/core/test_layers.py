"""The layers: the bottom layer imports nothing else of r1data, and importing a verifier, a filter or a
format module loads neither the runner nor datatrove's executors."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("r1data.pipelines.runner", "r1data.pipelines.recipe", "datatrove.executor", "r1data.generators")


def _loaded_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize(
    "module",
    [
        "r1data.core.step",
        "r1data.core.completion",
        "r1data.core.counters",
        "r1data.core.configs",
        "r1data.verifiers.math_verifier",
        "r1data.verifiers.code",
        "r1data.verifiers.rewards",
        "r1data.verifiers.judge",
        "r1data.verifiers.language",
        "r1data.filters.completion_filters",
        "r1data.filters.selection",
        "r1data.formats.steps",
        "r1data.llm.client",
        "r1data.trainers.rewards",
        "r1data.trainers.chat",
        "r1data.trainers.data",
    ],
)
def test_importing_a_module_loads_no_runner_and_no_executor(module):
    loaded = _loaded_after(module)
    assert not [m for m in loaded for heavy in HEAVY if m == heavy or m.startswith(heavy + ".")], module


def test_the_bottom_layer_imports_nothing_else_of_r1data():
    loaded = _loaded_after(
        "r1data.core.step, r1data.core.completion, r1data.core.counters, r1data.core.paths, r1data.core.configs"
    )
    assert {m for m in loaded if m.startswith("r1data.")} <= {
        "r1data.core",
        "r1data.core.step",
        "r1data.core.completion",
        "r1data.core.counters",
        "r1data.core.paths",
        "r1data.core.configs",
        "r1data.core.traces",
        "r1data.core.answers",
        "r1data.core.lazy",
        "r1data.core.reasons",
    }


def test_the_training_layer_does_not_load_trl_or_the_curation_runner_until_it_trains():
    loaded = _loaded_after(
        "r1data.commands.train, r1data.trainers.sft, r1data.trainers.grpo, r1data.trainers.distill"
    )
    assert not {m for m in loaded if m == "trl" or m.startswith(("trl.", "r1data.pipelines.runner"))}
