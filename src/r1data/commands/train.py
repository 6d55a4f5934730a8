"""``r1data train sft|grpo|distill --config FILE [--field value …]``: TRL's parser owns the training flags
(each method's module parses r1data's data arguments, TRL's ModelConfig and the method's config); this
module lists the command in ``r1data --help``, takes the console flags every command takes, and gives a
short ``--help`` (r1data's own arguments and the method's most used fields; every field with
``--help-all``).

On a machine without a GPU, training runs on the CPU in float32 unless ``--use_cpu`` / ``--bf16`` say
otherwise (TRL's configs default to bf16, which a CPU-only setup refuses)."""

from __future__ import annotations

import os
import sys

METHODS = {"sft": "r1data.trainers.sft", "grpo": "r1data.trainers.grpo", "distill": "r1data.trainers.distill"}
CONFIGS = {"sft": "SFTConfig", "grpo": "GRPOConfig", "distill": "DistillationConfig"}
USAGE = (
    "usage: r1data train {sft,grpo,distill} [--config FILE.yaml] [--field value ...]\n\n"
    "Fields are TRL's config fields (SFTConfig, GRPOConfig, DistillationConfig), TRL's ModelConfig and\n"
    "r1data's DataArguments (dataset_name, chat_template, extend_context, reward_funcs, ...);\n"
    "`r1data train METHOD --help` shows r1data's own and the most used ones, `--help-all` every field."
)
# the fields people set most, per method (the rest: --help-all)
MOST_USED = {
    "common": ("model_name_or_path", "output_dir", "learning_rate", "num_train_epochs", "max_steps",
               "per_device_train_batch_size", "gradient_accumulation_steps", "seed", "bf16", "use_cpu",
               "logging_steps", "save_steps", "push_to_hub", "hub_model_id"),
    "sft": ("max_length", "packing"),
    "grpo": ("num_generations", "max_completion_length", "reward_weights", "beta", "temperature", "use_vllm"),
    "distill": ("teacher_model_name_or_path", "max_completion_length", "beta", "lmbda"),
}  # fmt: skip


def register(sub, common) -> None:
    sub.add_parser(
        "train",
        help="train a student with TRL: r1data train sft|grpo|distill --config FILE [--field value ...]",
        add_help=False,
    )


def main(argv: list[str]) -> int:
    import importlib

    from r1data.commands.options import console_parser
    from r1data.core.console import configure

    console, argv = console_parser().parse_known_args(argv)
    configure(console.log_level, progress=not console.quiet)
    if not argv or argv[0] not in METHODS:
        asked = bool(argv) and argv[0] in ("-h", "--help")
        print(USAGE, file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    method, rest = argv[0], argv[1:]
    if "--help-all" in rest:
        rest = [a if a != "--help-all" else "--help" for a in rest]
    elif "-h" in rest or "--help" in rest:
        print(short_help(method))
        return 0
    if console.log_level != "DEBUG":
        import warnings

        warnings.filterwarnings(
            "ignore", category=FutureWarning
        )  # libraries' deprecations: nothing to act on
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    try:
        _check_model(rest)
        rest = _cpu_defaults(rest)
        return importlib.import_module(METHODS[method]).main(rest)
    except (ValueError, FileNotFoundError) as exc:
        if console.log_level == "DEBUG":
            raise
        print(f"r1data train {method}: error: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2


def _value(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv):
        if arg == f"--{name}" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
    return None


def _check_model(argv: list[str]) -> None:
    """A model given as a local path must exist, before TRL and transformers are loaded."""
    from r1data.generators.config import check_model_path

    check_model_path(_value(argv, "model_name_or_path"))


def _cpu_defaults(argv: list[str]) -> list[str]:
    import torch

    if torch.cuda.is_available():
        return argv
    extra = []
    if _value(argv, "use_cpu") is None and "--use_cpu" not in argv:
        extra += ["--use_cpu", "true"]
    if _value(argv, "bf16") is None and "--bf16" not in argv:
        extra += ["--bf16", "false"]
    return [*argv, *extra]


def short_help(method: str) -> str:
    """r1data's own arguments, then the method's most used fields, each with its help."""
    import dataclasses

    import trl

    from r1data.trainers.args import DataArguments

    config = getattr(trl, CONFIGS[method])
    fields = {f.name: f for cls in (trl.ModelConfig, config) for f in dataclasses.fields(cls)}
    lines = [
        f"usage: r1data train {method} [--config FILE.yaml] [--field value ...]",
        "",
        "r1data's arguments:",
    ]
    for f in dataclasses.fields(DataArguments):
        lines.append(f"  --{f.name}\n      {f.metadata.get('help', '')}")
    lines += ["", f"most used fields of TRL's {CONFIGS[method]} and ModelConfig:"]
    for name in (*MOST_USED["common"], *MOST_USED[method]):
        if name in fields:
            default = fields[name].default if fields[name].default is not dataclasses.MISSING else None
            text = " ".join(str(fields[name].metadata.get("help", "")).split())[:300]
            lines.append(f"  --{name} (default: {default})\n      {text}")
    total = len(fields) + len(dataclasses.fields(DataArguments))
    lines += ["", f"every one of the {total} fields: r1data train {method} --help-all",
              "console: --quiet, --log-level LEVEL (as every r1data command)"]  # fmt: skip
    return "\n".join(lines)
