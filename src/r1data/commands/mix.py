"""``r1data mix RECIPE``: the final SFT set from several curated sets (:mod:`r1data.mix`)."""

from __future__ import annotations

import argparse
import os
import sys


def register(sub, common) -> None:
    mix = sub.add_parser(
        "mix",
        parents=[common],
        help="the final SFT set from several curated sets, with quotas per subset and domain",
        description="Read a mix recipe (YAML: sources, subsets with totals and per-domain quotas, shortage "
        "policy, seed), dedup and decontaminate across sources, fill the quotas by a seeded shuffle, and "
        "write a Hub-layout folder (one config per subset and `all`) with stats.json, the card and report.html. "
        "Relative source paths are read from the recipe's folder.",
    )
    mix.add_argument("recipe", help="mix recipe YAML, e.g. recipes/mix.yaml")
    mix.add_argument("--output", "-o", help="output directory (default: outputs/<mix name>)")
    mix.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.mix import load_mix_recipe, run_mix

    recipe = load_mix_recipe(args.recipe)
    output = args.output or os.path.join("outputs", recipe.name)
    stats = run_mix(recipe, output)
    print(f"r1data mix '{recipe.name}': {stats['funnel']['rows']:,} rows in {output}")
    from r1data.data_cards.card import QUOTA_COLUMNS, quota_cells

    def line(cells) -> str:  # the first five columns; acceptance and tokens are in the card
        widths = (32, 11, 11, 10, 10)
        return "".join(
            f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
            for i, (c, w) in enumerate(zip(cells[:5], widths, strict=True))
        )

    print(line(QUOTA_COLUMNS))
    for q in stats["quotas"]:
        print(line(quota_cells(q)))
    for warning in stats["warnings"]:
        print(f"r1data mix: warning: {warning}", file=sys.stderr)
    dropped = stats["funnel"]["completions"]["dropped_by_reason"]
    print("dropped: " + (", ".join(f"{k} {v:,}" for k, v in dropped.items()) or "none"))
    print(f"card: {os.path.join(output, 'README.md')}\nreport: {os.path.join(output, 'report.html')}")
    return 0
