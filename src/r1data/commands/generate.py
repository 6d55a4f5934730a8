"""``r1data generate IN OUT (--endpoint URL | --vllm-model PATH) --model NAME -n K``: rollouts, resumable,
through the same one-stage pipeline as a recipe's ``generate`` step
(:func:`r1data.pipelines.single.run_file`)."""

from __future__ import annotations

import argparse
import os

from r1data.generators.config import GenerationConfig


def register(sub, common) -> None:
    from r1data.commands.options import add_engine_arguments
    from r1data.core.configs import add_config_arguments

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
    add_config_arguments(gen, GenerationConfig, group="generation")
    add_engine_arguments(gen)
    gen.set_defaults(run=main)


def main(args: argparse.Namespace) -> int:
    from r1data.commands.options import engine_options
    from r1data.core.configs import config_from_args

    config = config_from_args(GenerationConfig, args, engine=engine_options(args))
    print(generate_file(args.input, args.output, config, progress=not args.quiet))
    return 0


class GenerationFailed(RuntimeError):
    """Every prompt's generation failed: there is no output."""


def _inline(counts: dict) -> str:
    return ", ".join(f"{k}: {int(v)}" for k, v in sorted(counts.items()))


def generate_file(input_path: str, output_path: str, config: GenerationConfig, progress: bool = True) -> str:
    """Generate for every record of ``input_path``; prompts that failed for good go to
    ``OUTPUT.failures.jsonl`` (the record with its ``dropped_reason``), nothing partial to the output."""
    from r1data.core import counters as C
    from r1data.generators.config import check_model_path
    from r1data.generators.generate import completion_rate
    from r1data.generators.generate_step import Generate
    from r1data.pipelines.single import run_file

    check_model_path(config.vllm_model)
    options = config.model_dump()
    options["cache"] = config.cache or output_path + ".cache.sqlite"
    failures = output_path + ".failures.jsonl"
    run = run_file(
        input_path, output_path, [Generate(**options)], output_path + ".quarantine.jsonl", failures, progress
    )
    if not os.path.exists(failures):
        open(failures, "wb").close()  # present (and empty) when nothing failed
    g = C.by_reason(run.counters, C.GENERATION)
    failed = {k.removeprefix("generation_failed_"): v for k, v in run.records_dropped().items()}
    rate = completion_rate(g.get("tokens_completion_sent", 0), g.get("seconds", 0))
    if failed and not run.records_out:
        raise GenerationFailed(
            f"no prompt was generated: {int(sum(failed.values()))} failed ({_inline(failed)}); "
            f"nothing was written to {output_path} (see {failures}); run the same command again to retry "
            "them (finished requests are cached)"
        )
    return (
        f"prompts in {int(run.counters.get(C.RECORDS_OK, 0))} → done {run.records_out}, failed "
        f"{sum(failed.values())}"
        + (f" {failed}" if failed else "")
        + f"; quarantined {int(run.counters.get(C.QUARANTINED, 0))} line(s)\n"
        f"requests sent {g.get('requests_sent', 0)}, from cache {g.get('requests_cached', 0)}; "
        f"tokens in {g.get('tokens_prompt', 0)}, out {g.get('tokens_completion', 0)} ({rate} tokens/s)\n"
        f"output: {output_path}\nfailures: {failures}"
    )
