"""``r1data bond RECIPE``: iterated Best-of-N distillation in rounds (:mod:`r1data.trainers.bond`)."""

from __future__ import annotations

import argparse


def register(sub, common) -> None:
    bond = sub.add_parser(
        "bond",
        parents=[common],
        help="iterated Best-of-N distillation: sample, keep the best, SFT, evaluate, in rounds",
        description="Run a BOND recipe (YAML): each round samples N completions per prompt from the "
        "current policy, keeps the best verified one, trains the policy on them with `r1data train sft` "
        "and evaluates it; the result is the next round's policy. Resumable: finished steps are skipped.",
    )
    bond.add_argument("recipe", help="BOND recipe YAML, e.g. recipes/bond/qwen2.5-math-1.5b.yaml")
    bond.add_argument("--output", "-o", help="output directory (default: outputs/<recipe name>)")
    bond.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.trainers.bond import main as bond_main

    return bond_main(args.recipe, args.output, progress=not args.quiet)
