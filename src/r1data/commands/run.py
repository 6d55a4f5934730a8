"""``r1data run RECIPE``: run a recipe end to end (every stage, then shards, stats, card, report)."""

from __future__ import annotations

import argparse
import os
import sys


def register(sub, common) -> None:
    run = sub.add_parser(
        "run",
        parents=[common],
        help="run a recipe (YAML) end to end",
        description="Run every stage of a recipe and write a Hub-layout dataset with its card.",
    )
    run.add_argument("recipe", help="path of the recipe YAML, e.g. recipes/quickstart.yaml")
    run.add_argument("--output", "-o", help="output directory (default: outputs/<recipe name>)")
    run.add_argument(
        "--force",
        action="store_true",
        help="overwrite an output directory produced by a different recipe or from a changed input",
    )
    run.add_argument(
        "--allow-empty",
        action="store_true",
        help="exit 0 even when the run publishes no row or quarantines every input record (default: exit 3)",
    )
    run.add_argument(
        "--detach",
        action="store_true",
        help="Slurm: submit every job (chained by dependencies) and return; `r1data status DIR` follows it",
    )
    run.add_argument(
        "--keep-failures",
        action="store_true",
        help="on a relaunch, keep the prompts whose generation requests failed for good dropped "
        "(default: ask those requests again; the request cache answers the rest)",
    )
    run.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.core.funnel import format_funnel
    from r1data.pipelines import load_recipe, run_recipe

    recipe = load_recipe(args.recipe)
    output = args.output or os.path.join("outputs", recipe.name)
    if args.detach and recipe.stage_executor(len(recipe.stages) - 1).type != "slurm":
        print(
            "r1data run: error: --detach needs a run that ends on Slurm (executor type slurm)",
            file=sys.stderr,
        )
        return 2
    result = run_recipe(
        recipe, output, force=args.force, detach=args.detach, keep_failures=args.keep_failures
    )
    if args.detach and not hasattr(result, "funnel"):
        print(f"r1data run '{recipe.name}' submitted to Slurm: jobs {', '.join(result.jobs)}")
        print(f"follow it with: r1data status {result.output_dir}")
        if recipe.output.push_to_hub:
            print(f"output.push_to_hub is not done by a detached run: when it has finished, "
                  f"r1data publish {result.output_dir} {recipe.output.push_to_hub}")  # fmt: skip
        return 0
    print(f"\nr1data run '{recipe.name}' finished\n")
    print(format_funnel(result.funnel))
    print(f"\noutput:  {result.output_dir}")
    print(f"  shards: {', '.join(os.path.join('data', s) for s in result.shards) or '(no rows)'}")
    print(f"  card:   {result.card_path}\n  stats:  {result.stats_path}")
    print(f"  report: {os.path.join(result.output_dir, 'report.html')}")
    quarantine = os.path.join(result.output_dir, "quarantine")
    records = result.funnel["records"]
    if records["quarantined"]:
        print(f"  quarantined rows with reasons: {quarantine}/")
    problem = None
    if records["in"] and not records["ok"]:
        problem = f"every input record was quarantined ({records['quarantined']}); see {quarantine}/"
    elif not result.funnel["completions"]["kept"]:
        problem = "the run published 0 rows (the funnel above says where everything went)"
    if problem and not args.allow_empty:
        print(f"r1data run: error: {problem}; pass --allow-empty to accept that", file=sys.stderr)
        return 3
    if recipe.output.push_to_hub:
        from r1data.io.hub import PublishError, publish

        try:
            pushed = publish(result.output_dir, recipe.output.push_to_hub, private=recipe.output.private)
        except PublishError as exc:
            print(f"r1data run: error: the run finished but was not pushed: {exc}", file=sys.stderr)
            return 4
        print(f"  pushed: {pushed['url']}")
    return 0
