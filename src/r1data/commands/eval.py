"""``r1data eval``: pass@1, pass@k and cons@k of given or generated completions, or ``--compare``."""

from __future__ import annotations

import argparse
import os
import sys

BENCHMARKS_HELP = "a built-in benchmark as input (see `r1data eval --help`)"


def register(sub, common) -> None:
    from r1data.commands.options import add_engine_arguments
    from r1data.core.configs import add_config_arguments
    from r1data.generators.config import GenerationConfig
    from r1data.io.benchmarks import BENCHMARKS

    ev = sub.add_parser(
        "eval",
        parents=[common],
        help="pass@1, pass@k, cons@k of completions (given, or generated with R1's protocol)",
        description="Score the completions of IN (the `r1data verify` input) with the curation verifiers, "
        "or generate them first (--endpoint/--vllm-model with -n K; R1's protocol by default: T 0.6, "
        "top-p 0.95, 32,768 tokens, responses start with '<think>\\n'); write DIR/metrics.json, "
        "DIR/results.jsonl and DIR/report.md. --compare DIR … puts several evaluations side by side.",
    )
    ev.add_argument("input", nargs="?", help="JSONL of prompt records, with or without completions")
    ev.add_argument("--output", help="folder for metrics.json, results.jsonl, report.md")
    ev.add_argument("--k", type=int, help="cons@k over the first k samples (default: all samples)")
    ev.add_argument("--benchmark", choices=sorted(BENCHMARKS), help="a built-in benchmark as input")
    ev.add_argument("--benchmark-path", help="the benchmark's local file (default: $R1DATA_SHARED_DATA/…)")
    ev.add_argument(
        "--seeds", type=int, nargs="+", help="generate once per seed; metrics.json gives the spread"
    )
    ev.add_argument("--workers", type=int, help="verifier processes (default: all cores)")
    ev.add_argument("--mapping", help="YAML/JSON column mapping for another tool's output layout")
    ev.add_argument("--no-think-prefix", action="store_true", help="do not start responses with '<think>\\n'")
    ev.add_argument(
        "--compare", nargs="+", metavar="DIR", help="evaluation folders to compare (models × benchmarks)"
    )
    add_config_arguments(ev, GenerationConfig, group="generation (records without completions)")
    add_engine_arguments(ev)
    ev.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.commands.options import engine_options
    from r1data.core.configs import config_from_args
    from r1data.eval.run import compare, evaluate, read_mapping_file, report
    from r1data.generators.config import GenerationConfig

    if args.compare:
        text = compare(args.compare)
        if args.output:
            os.makedirs(args.output, exist_ok=True)
            with open(os.path.join(args.output, "comparison.md"), "w") as f:
                f.write(text)
        print(text)
        return 0
    if not args.output or not (args.input or args.benchmark):
        print("r1data eval: error: give IN.jsonl (or --benchmark NAME) and --output DIR", file=sys.stderr)
        return 2
    generation = None
    if args.endpoints or args.vllm_model:
        generation = config_from_args(
            GenerationConfig, args, engine=engine_options(args), think_prefix=not args.no_think_prefix
        )
    mapping, mapped_benchmark = read_mapping_file(args.mapping) if args.mapping else (None, None)
    metrics = evaluate(
        args.input, args.output, args.k, generation, args.seeds, args.benchmark, args.benchmark_path,
        args.workers, mapping, label=args.model if generation is None else None, benchmark_name=mapped_benchmark,
    )  # fmt: skip
    print(report(metrics))
    print(
        f"metrics: {os.path.join(args.output, 'metrics.json')}\nresults: {os.path.join(args.output, 'results.jsonl')}"
    )
    return 0
