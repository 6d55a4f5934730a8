"""Size R1's 600K reasoning + 200K non-reasoning run for a real cluster from figures measured here.

    .venv/bin/python bench/size_run.py [--samples 4] [--scale 1]

Measured here (read from ../shared/data and from the other benches' figures in the README): the length
and pass rate of real long-CoT teacher samples (Sky-T1 32B on AIME 2024 / AMC 2023), verification
pairs/s per core on long traces (bench/verify_math.py), the language filter's MB/s
(bench/accuracy.py), peak memory per task (bench/scale.py). Assumed (printed as such): characters per
token, the non-reasoning rows' length, and vLLM's published output throughputs per GPU. docs/scale.md
holds the output with its reading.
"""

from __future__ import annotations

import argparse
import json
import math
import os

SHARED = os.environ.get(
    "R1DATA_SHARED_DATA", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
)
LONG_COT = {
    "hard (AIME-like)": "model_outputs/Sky-T1-math-correct-5K-32B-ckpts--checkpoint-140--aime24.jsonl",
    "medium (AMC-like)": "model_outputs/Sky-T1-math-corrupt-0.7-32B--amc23.jsonl",
}
# measured on this machine (README "Measured"): verification of long traces, warm pool, one core
VERIFY_PAIRS_PER_S_CORE = 669
LANGUAGE_FILTER_MB_PER_S_CORE = 1.8
PEAK_TASK_MB = 307  # bench/scale.py, 1M completions, the select stage
# assumptions
CHARS_PER_TOKEN = 3.5  # English math prose with LaTeX, Qwen/Llama tokenizers (assumed, not measured here)
NON_REASONING_TOKENS = 600  # a writing/QA answer with a short CoT for the harder half (assumed)
SHARD_BYTES = 256 * 2**20
# published output throughputs, tokens/s per GPU at high concurrency (https://www.morphllm.com/vllm-benchmarks,
# third-party vLLM figures; DeepSeek's own R1 serving figure: ~14.8K output tokens/s per 8×H800 node)
TEACHERS = {
    "R1-Distill-Qwen-7B, 1×A100": 3363,
    "R1-Distill-Qwen-14B, 1×A100": 3004,
    "R1-Distill-Qwen-32B, 1×A100": 577,
    "Llama-3.1-70B FP8, 1×H100": 460,
    "DeepSeek-R1 671B, per H800 (node/8)": 14800 / 8,
}


def long_cot_figures() -> dict[str, dict]:
    out = {}
    for name, rel in LONG_COT.items():
        with open(os.path.join(SHARED, rel)) as f:
            rows = [json.loads(line) for line in f]
        chars, passed = [], []
        for r in rows:
            code = r["code"] if isinstance(r["code"], list) else [r["code"]]
            chars += [len(c) for c in code]
            score = r["score"] if isinstance(r["score"], list) else [r["score"]]
            passed += [bool(s) for s in score]
        out[name] = {
            "samples": len(chars),
            "mean_chars": sum(chars) / len(chars),
            "pass_rate": sum(passed) / len(passed),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=4, help="samples per prompt (N)")
    parser.add_argument("--reasoning-rows", type=int, default=600_000)
    parser.add_argument("--non-reasoning-rows", type=int, default=200_000)
    parser.add_argument(
        "--filter-loss",
        type=float,
        default=0.015,
        help="share lost to language/readability (measured: Qwen2.5-Math curation)",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply the row targets (10 for the 10× run)"
    )
    args = parser.parse_args()
    n, rows = args.samples, int(args.reasoning_rows * args.scale)
    figures = long_cot_figures()
    print(f"measured long-CoT teacher samples (../shared/data), {CHARS_PER_TOKEN} chars/token assumed:")
    mix = {}
    for name, f in figures.items():
        tokens = f["mean_chars"] / CHARS_PER_TOKEN
        solved = 1 - (1 - f["pass_rate"]) ** n  # a prompt yields a row when one of N samples is right
        samples_per_row = n / (solved * (1 - args.filter_loss))
        mix[name] = (tokens, samples_per_row)
        print(f"  {name:<18} {f['samples']:>3} samples, {f['mean_chars']:>8,.0f} chars ≈ {tokens:>7,.0f} tokens, "
              f"pass {f['pass_rate']:.3f} → {solved:.3f} of prompts kept at N={n}, {samples_per_row:.2f} samples per kept row, "
              f"{tokens * samples_per_row:>9,.0f} generated tokens per kept row")  # fmt: skip
    # half the reasoning rows from hard prompts, half from medium ones
    per_row = sum(t * s for t, s in mix.values()) / len(mix)
    samples = sum(s for _, s in mix.values()) / len(mix) * rows
    reasoning_tokens = per_row * rows
    non_tokens = NON_REASONING_TOKENS * args.non_reasoning_rows * args.scale
    total = reasoning_tokens + non_tokens
    print(f"\nreasoning {rows:,} rows: {samples:,.0f} samples, {reasoning_tokens / 1e9:,.2f} B generated tokens; "
          f"non-reasoning {int(args.non_reasoning_rows * args.scale):,} rows × {NON_REASONING_TOKENS} (assumed): "
          f"{non_tokens / 1e9:,.2f} B; total {total / 1e9:,.2f} B")  # fmt: skip
    print("\nGPU-hours to generate (published output tokens/s per GPU, no restarts or idle counted):")
    for teacher, rate in TEACHERS.items():
        hours = total / rate / 3600
        print(
            f"  {teacher:<38} {rate:>7,.0f} tok/s/GPU → {hours:>10,.0f} GPU-h ({hours / 64 / 24:>6.1f} days on 64 GPUs)"
        )
    mean_chars = sum(f["mean_chars"] for f in figures.values()) / len(figures)
    verify_h = samples / VERIFY_PAIRS_PER_S_CORE / 3600
    filter_h = samples * mean_chars / (LANGUAGE_FILTER_MB_PER_S_CORE * 1e6) / 3600
    print(f"\nCPU-hours: verification {verify_h:,.1f} (at {VERIFY_PAIRS_PER_S_CORE} pairs/s/core), language filter "
          f"{filter_h:,.1f} (at {LANGUAGE_FILTER_MB_PER_S_CORE} MB/s/core), both {verify_h + filter_h:,.1f}")  # fmt: skip
    # a published row holds the text ~3 times (messages, reasoning+summary, completion); zstd ~3×
    row_bytes = mean_chars
    data_bytes = (
        row_bytes * rows + NON_REASONING_TOKENS * CHARS_PER_TOKEN * args.non_reasoning_rows * args.scale
    )
    shards = math.ceil(data_bytes / SHARD_BYTES)
    work_bytes = samples * mean_chars / 3  # the verify stage's gzipped hand-off, every sample
    print(f"\nstorage: published ~{data_bytes / 2**30:,.1f} GiB → {shards} shards of 256 MB; work/ hand-off of every "
          f"sample ~{work_bytes / 2**30:,.1f} GiB (gzip)")  # fmt: skip
    tasks = max(1, math.ceil(verify_h + filter_h))  # ~1 CPU-hour per task
    print(f"tasks: curation ~{tasks} tasks of ~1 CPU-hour (peak {PEAK_TASK_MB} MB each measured: mem_per_cpu_gb: 1), "
          f"generation one task per GPU (or per TP group)")  # fmt: skip


if __name__ == "__main__":
    main()
