"""The ``r1data`` command. Subcommands import their modules only when they run, so ``--help`` is fast."""

from __future__ import annotations

import argparse
import json
import os
import sys


def _cmd_run(args: argparse.Namespace) -> int:
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


def _cmd_verify(args: argparse.Namespace) -> int:
    from r1data.commands.verify import verify_file
    from r1data.core.configs import config_from_args
    from r1data.verifiers.judge_config import JudgeConfig

    judge = None
    if args.endpoint or args.model:
        judge = config_from_args(
            JudgeConfig, args, on=("unknown", "fail") if args.judge_on_fail else ("unknown",)
        )
    summary = verify_file(
        args.input,
        args.output,
        workers=args.workers,
        timeout_s=args.timeout,
        quarantine=args.quarantine,
        progress=not args.quiet,
        judge=judge,
    )
    print(summary)
    return 0


def _cmd_filter(args: argparse.Namespace) -> int:
    from r1data.commands.filter import filter_file

    print(
        filter_file(
            args.input,
            args.output,
            annotate_only=args.annotate_only,
            target_language=args.target_language,
            progress=not args.quiet,
        )
    )
    return 0


def _add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    from r1data.core.configs import add_config_arguments
    from r1data.generators.config import EngineOptions

    add_config_arguments(parser, EngineOptions)


def _engine_options(args: argparse.Namespace) -> dict:
    from r1data.core.configs import config_from_args
    from r1data.generators.config import EngineOptions

    return config_from_args(EngineOptions, args).options()


def _cmd_generate(args: argparse.Namespace) -> int:
    from r1data.commands.generate import generate_file
    from r1data.core.configs import config_from_args
    from r1data.generators.config import GenerationConfig

    config = config_from_args(GenerationConfig, args, engine=_engine_options(args))
    print(generate_file(args.input, args.output, config, progress=not args.quiet))
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from r1data.core.configs import config_from_args
    from r1data.eval.run import compare, evaluate, report
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
            GenerationConfig, args, engine=_engine_options(args), think_prefix=not args.no_think_prefix
        )
    from r1data.eval.run import load_mapping

    mapping = load_mapping(args.mapping) if args.mapping else None
    metrics = evaluate(
        args.input, args.output, args.k, generation, args.seeds, args.benchmark, args.benchmark_path,
        args.workers, mapping,
    )  # fmt: skip
    print(report(metrics))
    print(
        f"metrics: {os.path.join(args.output, 'metrics.json')}\nresults: {os.path.join(args.output, 'results.jsonl')}"
    )
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from r1data.pipelines.status import format_status, run_status

    status = run_status(args.output)
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return 0


def _cmd_mix(args: argparse.Namespace) -> int:
    from r1data.commands.mix import load_mix_recipe, run_mix

    recipe = load_mix_recipe(args.recipe)
    output = args.output or os.path.join("outputs", recipe.name)
    stats = run_mix(recipe, output)
    print(f"r1data mix '{recipe.name}': {stats['funnel']['rows']:,} rows in {output}")
    print(f"{'quota':<32}{'requested':>11}{'available':>11}{'achieved':>10}{'repeated':>10}")
    for q in stats["quotas"]:
        print(
            f"{q['name']:<32}{q['requested']:>11,}{q['available']:>11,}{q['achieved']:>10,}{q['repeated']:>10,}"
        )
    dropped = stats["funnel"]["completions"]["dropped_by_reason"]
    print("dropped: " + (", ".join(f"{k} {v:,}" for k, v in dropped.items()) or "none"))
    print(f"card: {os.path.join(output, 'README.md')}\nreport: {os.path.join(output, 'report.html')}")
    return 0


def _cmd_publish(args: argparse.Namespace) -> int:
    from r1data.io.hub import PublishError, publish

    try:
        result = publish(args.output_dir, args.repo_id, args.private, args.revision, args.create_pr,
                         args.dry_run, args.endpoint)  # fmt: skip
    except PublishError as exc:
        print(f"r1data publish: error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(f"would upload {len(result['files'])} file(s) to {args.repo_id} (dry run, nothing sent):")
    else:
        print(f"uploaded {len(result['files'])} file(s): {result['url']}")
        if args.create_pr and result["commit"]:
            print(f"pull request: {result['commit']}")
    print("\n".join(f"  {f}" for f in result["files"]))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from r1data.data_cards.report import write_report

    if not os.path.exists(os.path.join(args.output_dir, "stats.json")):
        print(
            f"r1data report: error: {args.output_dir} has no stats.json (not a finished run or mix)",
            file=sys.stderr,
        )
        return 2
    print(write_report(args.output_dir, args.output))
    return 0


def _cmd_bond(args: argparse.Namespace) -> int:
    from r1data.commands.bond import main as bond_main

    return bond_main(args.recipe, args.output, progress=not args.quiet)


def make_parser() -> argparse.ArgumentParser:
    from r1data.core.configs import add_config_arguments
    from r1data.generators.config import GenerationConfig
    from r1data.verifiers.judge_config import JudgeConfig

    parser = argparse.ArgumentParser(
        prog="r1data", description="Build, verify, filter and publish DeepSeek-R1-style reasoning datasets."
    )
    from r1data import __version__

    parser.add_argument("--version", action="version", version=f"r1data {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    common.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR"],
        help="what reaches stderr (default: %(default)s; INFO shows datatrove's task logs, which always "
        "go to the run's log files)",
    )

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
    run.set_defaults(func=_cmd_run)

    status = sub.add_parser(
        "status",
        help="where a run stands: per stage tasks done/total, records, failures, elapsed time",
        description="Read a run folder (local, Ray or Slurm; running or ended) and print per stage the "
        "tasks done, started and failed, the records the finished tasks read and handed on, and the "
        "elapsed time; for Slurm runs also the run's queued and running jobs.",
    )
    status.add_argument("output", help="the run's output folder")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(func=_cmd_status, quiet=True, log_level="WARNING")

    mix = sub.add_parser(
        "mix",
        help="the final SFT set from several curated sets, with quotas per subset and domain",
        description="Read a mix recipe (YAML: sources, subsets with totals and per-domain quotas, shortage "
        "policy, seed), dedup and decontaminate across sources, fill the quotas by a seeded shuffle, and "
        "write a Hub-layout folder (one config per subset and `all`) with stats.json, the card and report.html.",
    )
    mix.add_argument("recipe", help="mix recipe YAML, e.g. recipes/mix.yaml")
    mix.add_argument("--output", "-o", help="output directory (default: outputs/<mix name>)")
    mix.set_defaults(func=_cmd_mix, quiet=True, log_level="WARNING")

    pub = sub.add_parser(
        "publish",
        help="push a run's dataset (README.md + data/) to the Hugging Face Hub",
        description="Upload the card and data/ of a run or mix folder (never work/, logs/, quarantine/) "
        "to a Hub dataset repo. Refuses a folder whose funnel does not add up or whose card does not "
        "validate. The token comes from HF_TOKEN or the login cache and is never printed.",
    )
    pub.add_argument("output_dir", help="a folder written by `r1data run` or `r1data mix`")
    pub.add_argument("repo_id", help="ORG/NAME of the dataset repo (created when missing)")
    pub.add_argument("--private", action="store_true", help="create the repo private")
    pub.add_argument("--revision", help="branch to commit to (created when missing)")
    pub.add_argument("--create-pr", action="store_true", help="open a pull request instead of committing")
    pub.add_argument(
        "--dry-run", action="store_true", help="list the files that would be uploaded; send nothing"
    )
    pub.add_argument("--endpoint", help="Hub endpoint (default: HF_ENDPOINT or https://huggingface.co)")
    pub.set_defaults(func=_cmd_publish, quiet=True, log_level="WARNING")

    rep = sub.add_parser(
        "report",
        help="one self-contained HTML page of a run or mix folder (charts, drop reasons, sample rows)",
        description="Write DIR/report.html (or --output): the funnel as a chart, drop reasons, pass rates, "
        "reasoning and summary lengths per domain, language consistency, generation cost per kept row and "
        "a sample of kept and dropped rows. No network: everything is inline. `r1data run` writes it too.",
    )
    rep.add_argument("output_dir", help="a folder written by `r1data run` or `r1data mix`")
    rep.add_argument("--output", help="where to write the page (default: DIR/report.html)")
    rep.set_defaults(func=_cmd_report, quiet=True, log_level="WARNING")

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="verify the completions of prompt records (JSONL)",
        description="Add a verdict and 'correct' to every completion of each prompt record. Streams "
        "in constant memory; invalid lines go to a quarantine file with their reason.",
    )
    verify.add_argument("input", help="input JSONL (.gz/.zst allowed) of prompt records")
    verify.add_argument("output", help="output JSONL (.gz/.zst by extension)")
    verify.add_argument("--workers", type=int, default=None, help="verifier processes (default: all cores)")
    verify.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="hard time bound per completion in seconds (default: the domain's: math 10, code 60; "
        "an overrun is unknown/timeout for math, fail/timeout for code)",
    )
    verify.add_argument("--quarantine", help="where invalid lines go (default: OUTPUT.quarantine.jsonl)")
    add_config_arguments(verify, JudgeConfig, group="LLM judge")
    verify.add_argument(
        "--judge-on-fail",
        action="store_true",
        help="also send rule failures to the judge (an audit of the rules)",
    )
    verify.set_defaults(func=_cmd_verify)

    filt = sub.add_parser(
        "filter",
        parents=[common],
        help="language-mix and readability filters over prompt records (JSONL)",
        description="Annotate every completion with filters.language and filters.readability; without "
        "--annotate-only, drop failing completions (and records left with none) and write them "
        "with their reasons to OUT.excluded.jsonl.",
    )
    filt.add_argument("input", help="input JSONL of prompt records (as for `r1data verify`)")
    filt.add_argument("output", help="output JSONL")
    filt.add_argument("--annotate-only", action="store_true", help="record scores, drop nothing")
    filt.add_argument(
        "--target-language",
        help="ISO 639-1 code of the expected reasoning language "
        "(default: the record's `language`, else detected from its prompt)",
    )
    filt.set_defaults(func=_cmd_filter)

    gen = sub.add_parser(
        "generate",
        parents=[common],
        help="N samples per prompt from OpenAI-compatible endpoints or the vLLM engine (resumable)",
        description="Send every prompt record N times to one or more OpenAI-compatible chat endpoints "
        "(vLLM serve, SGLang, hosted APIs) or to the vLLM offline engine, and write the records with "
        "their completions. Other rollout methods: --method. "
        "Finished requests are cached: a rerun sends only what is missing. Prompts that failed "
        "for good go to OUTPUT.failures.jsonl with their reasons.",
    )
    gen.add_argument(
        "input", help="input JSONL of prompt records (as for `r1data verify`, without completions)"
    )
    gen.add_argument("output", help="output JSONL")
    add_config_arguments(gen, GenerationConfig)
    _add_engine_arguments(gen)
    gen.set_defaults(func=_cmd_generate)

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
    ev.add_argument(
        "--benchmark",
        help="a built-in benchmark as input: "
        + ", ".join(("math500", "aime2024", "aime2025", "amc2023", "gsm8k", "humaneval", "mbpp")),
    )
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
    _add_engine_arguments(ev)
    ev.set_defaults(func=_cmd_eval)
    bond = sub.add_parser(
        "bond",
        parents=[common],
        help="iterated Best-of-N distillation: sample, keep the best, SFT, evaluate, in rounds",
        description="Run a BOND recipe (YAML): each round samples N completions per prompt from the "
        "current policy, keeps the best verified one, trains the policy on them with `r1data train sft` "
        "and evaluates it; the result is the next round's policy. Resumable: finished steps are skipped.",
    )
    bond.add_argument("recipe", help="BOND recipe YAML, e.g. recipes/train/qwen2.5-math-1.5b/bond.yaml")
    bond.add_argument("--output", "-o", help="output directory (default: outputs/<recipe name>)")
    bond.set_defaults(func=_cmd_bond)
    sub.add_parser(
        "train",
        help="train a student with TRL: r1data train sft|grpo|distill --config FILE [--field value ...]",
        add_help=False,
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["train"]:  # TRL's parser owns the training flags
        from r1data.trainers.cli import main as train_main

        return train_main(argv[1:])
    args = make_parser().parse_args(argv)
    from r1data.core.console import configure

    configure(args.log_level, progress=not args.quiet)
    from r1data.io.locks import FolderBusy

    try:
        return args.func(args)
    except (FileNotFoundError, FileExistsError, ValueError, FolderBusy) as exc:
        print(f"r1data {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a run that failed or cannot start now (its message says why)
        print(f"r1data {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the system refused (full disk, permissions, open files): say what to do
        from r1data.core.errors import system_refusal

        message = system_refusal(exc, getattr(args, "output", None) or getattr(args, "output_dir", None))
        if message is None:
            raise
        print(f"r1data {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
