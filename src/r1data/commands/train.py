"""``r1data train sft|grpo|distill``: TRL's parser owns the training flags (:mod:`r1data.trainers.cli`);
this entry only lists the command in ``r1data --help``."""

from __future__ import annotations


def register(sub, common) -> None:
    sub.add_parser(
        "train",
        help="train a student with TRL: r1data train sft|grpo|distill --config FILE [--field value ...]",
        add_help=False,
    )


def main(argv: list[str]) -> int:
    from r1data.trainers.cli import main as train_main

    return train_main(argv)
