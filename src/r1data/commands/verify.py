"""``r1data verify IN OUT``: verify every completion of every record, in constant memory, through the
same one-stage pipeline as a recipe (:func:`r1data.pipelines.single.run_file`): one ``verify`` step per
domain with a rule checker, then the judge (when given) for what rules leave open."""

from __future__ import annotations

import argparse


def register(sub, common) -> None:
    from r1data.core.configs import add_config_arguments
    from r1data.verifiers.judge_config import JudgeConfig

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="verify the completions of prompt records (JSONL)",
        description="Add a verdict and 'correct' to every completion of each prompt record. Streams "
        "in constant memory; invalid lines go to a quarantine file with their reason.",
    )
    verify.add_argument(
        "input",
        help="prompt records: a JSONL file (.gz/.zst/.bz2/.xz allowed), an r1data output folder, or a folder or file of SFT rows (messages, or prompt + completion) read with their completion and solution",
    )
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
    verify.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.core.configs import config_from_args
    from r1data.verifiers.judge_config import JudgeConfig

    judge = None
    if args.endpoint or args.model:
        judge = config_from_args(
            JudgeConfig, args, on=("unknown", "fail") if args.judge_on_fail else ("unknown",)
        )
    print(
        verify_file(
            args.input,
            args.output,
            workers=args.workers,
            timeout_s=args.timeout,
            quarantine=args.quarantine,
            progress=not args.quiet,
            judge=judge,
        )
    )
    return 0


def verify_file(
    input_path: str,
    output_path: str,
    workers: int | None = None,
    timeout_s: float | None = None,
    quarantine: str | None = None,
    progress: bool = True,
    judge=None,
) -> str:
    """Verify every completion of every record in ``input_path``; returns a one-paragraph summary.
    ``judge`` (a :class:`~r1data.verifiers.judge_config.JudgeConfig`) turns the LLM-judge cascade on."""
    from loguru import logger

    from r1data.pipelines.single import run_file
    from r1data.verifiers.registry import VERIFIERS
    from r1data.verifiers.verify_step import Verify, sandbox_failure_warning

    steps = [Verify(domain, workers=workers, timeout_s=timeout_s) for domain in VERIFIERS]
    steps.append(Verify(domain=None, judge=judge))  # every other domain: no rule checker
    quarantine = quarantine or output_path + ".quarantine.jsonl"
    run = run_file(input_path, output_path, steps, quarantine, progress=progress)
    warning = sandbox_failure_warning(run.counters, input_path)
    if warning:
        logger.warning(warning)
    labels = {label: int(run.counters.get(f"label_out_{label}", 0)) for label in ("pass", "fail", "unknown")}
    n_completions = run.completions_out
    n_quarantined = int(run.counters.get("quarantined", 0))
    return (
        f"verified {run.records_out} records, {n_completions} completions in {run.seconds:.1f}s "
        f"({n_completions / max(run.seconds, 1e-9):.1f}/s): pass {labels['pass']}, fail {labels['fail']}, "
        f"unknown {labels['unknown']}; quarantined {n_quarantined} line(s)"
        + (f" → {quarantine}" if n_quarantined else "")
        + f"\noutput: {output_path}"
    )
