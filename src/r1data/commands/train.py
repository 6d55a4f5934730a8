"""``r1data train sft|grpo|distill --config FILE [--field value …]``: TRL's parser owns the training flags
(each method's module parses its own arguments); this module lists the command in ``r1data --help`` and
dispatches to the method."""

from __future__ import annotations

import os
import sys

METHODS = {"sft": "r1data.trainers.sft", "grpo": "r1data.trainers.grpo", "distill": "r1data.trainers.distill"}
USAGE = (
    "usage: r1data train {sft,grpo,distill} [--config FILE.yaml] [--field value ...]\n\n"
    "Fields are TRL's config fields (SFTConfig, GRPOConfig, DistillationConfig), TRL's ModelConfig and\n"
    "r1data's DataArguments (dataset_name, chat_template, extend_context, reward_funcs, ...);\n"
    "`r1data train METHOD --help` lists them all."
)


def register(sub, common) -> None:
    sub.add_parser(
        "train",
        help="train a student with TRL: r1data train sft|grpo|distill --config FILE [--field value ...]",
        add_help=False,
    )


def main(argv: list[str]) -> int:
    import importlib

    if not argv or argv[0] not in METHODS:
        print(USAGE, file=sys.stderr if argv and argv[0] not in ("-h", "--help") else sys.stdout)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    module = importlib.import_module(METHODS[argv[0]])
    try:
        return module.main(argv[1:])
    except (ValueError, FileNotFoundError) as exc:
        print(f"r1data train {argv[0]}: error: {exc}", file=sys.stderr)
        return 2
