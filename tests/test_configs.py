"""Configs written once: the CLI's flags are the config dataclasses' fields, and recipes accept the same
names as the steps' constructors."""

from __future__ import annotations

import argparse

from r1data.cli import make_parser
from r1data.core.configs import cli_fields, field_names
from r1data.generators.config import GenerationConfig
from r1data.pipelines.registry import build_step
from r1data.verifiers.judge_config import JudgeConfig


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = make_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[name]


def _dests(parser: argparse.ArgumentParser) -> set[str]:
    return {a.dest for a in parser._actions if a.dest not in ("help",)}


ENGINE_FLAGS = {"tensor_parallel_size", "max_model_len", "dtype", "gpu_memory_utilization", "enforce_eager"}


def test_generate_flags_are_the_generation_config():
    cli = _dests(_subparser("generate")) - {"input", "output", "quiet", "log_level"} - ENGINE_FLAGS
    assert cli == {f.name for f in cli_fields(GenerationConfig)}
    # the two fields without a flag are the recipe's: a cache folder per task, and vllm.LLM arguments
    # (which the engine flags build)
    assert set(field_names(GenerationConfig)) - cli == {"cache_dir", "engine"}


def test_verify_judge_flags_are_the_judge_config():
    cli = _dests(_subparser("verify"))
    assert {f.name for f in cli_fields(JudgeConfig)} <= cli
    assert set(field_names(JudgeConfig)) - cli == {"on"}  # --judge-on-fail sets it


def test_defaults_agree_between_cli_step_and_config():
    args = _subparser("generate").parse_args(
        ["in", "out", "--endpoint", "http://127.0.0.1:1/v1", "--model", "m"]
    )
    step = build_step("generate", {"endpoints": ["http://127.0.0.1:1/v1"], "model": "m"})
    for name in field_names(GenerationConfig):
        if hasattr(args, name) and name != "endpoints":
            if getattr(args, name) is None and isinstance(getattr(step.config, name), list):
                continue  # a list flag not given is None: the config's default (argparse would extend it)
            assert (
                getattr(args, name)
                == getattr(step.config, name)
                == getattr(GenerationConfig(endpoints=["http://x"], model="m"), name)
            ), name
