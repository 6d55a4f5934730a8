"""`r1data train sft` against a bare TRL SFTTrainer script: same model, same config, same rows, in the
same process, alternating (bare, r1data, bare, r1data …) so that drift of a shared machine hits both.

The model is a randomly initialised Qwen2-shaped decoder built here (nothing downloaded; ``--hidden``
and ``--layers`` size it: the defaults are CPU-sized, ``--hidden 896 --layers 24`` is Qwen2.5-0.5B's
shape), the rows those of ``r1data run recipes/quickstart.yaml``. Prints training tokens/s of each
run, the ratio r1data / bare (target ≥ 0.98), and with ``--packing`` r1data's tokens/s with packing
(padding-free batches need a varlen attention kernel: on CPU a packed step took ~90 s here, so packing
is for GPUs).

    .venv/bin/python bench/train.py [--steps 30] [--repeats 2] [--hidden 256 --layers 4] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def build_model(path: Path, hidden: int, layers: int) -> None:
    import torch
    from tests.trainers.tiny import byte_tokenizer
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    tok = byte_tokenizer()
    heads = max(2, hidden // 64)
    config = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 4,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=max(1, heads // 2),
        max_position_embeddings=4096,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    Qwen2ForCausalLM(config).save_pretrained(path)
    tok.save_pretrained(path)


def tokens_per_s(trainer, seconds: float) -> float:
    logged = [e for e in trainer.state.log_history if "num_tokens" in e]
    return float(logged[-1]["num_tokens"]) / seconds if logged else float("nan")


def bare_trl(model: str, data: str, out: str, steps: int, common: dict):
    """What a user writes with TRL alone: load the shards, keep `messages`, train."""
    import datasets
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    rows = datasets.load_dataset(
        "parquet",
        data_files=sorted(str(p) for p in Path(data, "data").glob("train-*.parquet")),
        split="train",
    )
    rows = rows.select_columns(["messages"])
    args = SFTConfig(output_dir=out, max_steps=steps, assistant_only_loss=True, **common)
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=rows, processing_class=AutoTokenizer.from_pretrained(model)
    )
    start = time.perf_counter()
    trainer.train()
    return tokens_per_s(trainer, time.perf_counter() - start)


def r1data_sft(model: str, data: str, out: str, steps: int, common: dict, packing: bool = False):
    from r1data.trainers import sft

    argv = [
        "--model_name_or_path",
        model,
        "--dataset_name",
        data,
        "--output_dir",
        out,
        "--max_steps",
        str(steps),
    ]
    for key, value in common.items():
        argv += [f"--{key}", str(value).lower() if isinstance(value, bool) else str(value)]
    argv += ["--packing", "true" if packing else "false"]
    trainer, _ = sft.build_trainer(argv)
    start = time.perf_counter()
    trainer.train()
    return tokens_per_s(trainer, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument(
        "--packing",
        action="store_true",
        help="also time packing (padding-free batches: needs a varlen attention kernel, so only on a GPU)",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from loguru import logger

    from r1data.pipelines import load_recipe, run_recipe

    logger.remove()
    with tempfile.TemporaryDirectory(prefix="r1data-train-bench-") as tmp:
        data = os.path.join(tmp, "qs")
        run_recipe(load_recipe(str(REPO / "recipes/quickstart.yaml")), data)
        model = os.path.join(tmp, "model")
        build_model(Path(model), args.hidden, args.layers)
        common = {
            "per_device_train_batch_size": args.batch,
            "learning_rate": 1e-3,
            "max_length": 4096,
            "logging_steps": 1,
            "save_strategy": "no",
            "report_to": "none",
            "use_cpu": args.device == "cpu",
            "bf16": args.device == "cuda",
            "seed": 0,
        }
        runs = {"bare": [], "r1data": []}
        for i in range(args.repeats):
            runs["bare"].append(bare_trl(model, data, os.path.join(tmp, f"bare{i}"), args.steps, common))
            runs["r1data"].append(r1data_sft(model, data, os.path.join(tmp, f"r1{i}"), args.steps, common))
        packed = (
            r1data_sft(model, data, os.path.join(tmp, "packed"), args.steps, common, packing=True)
            if args.packing
            else None
        )
    bare, ours = max(runs["bare"]), max(runs["r1data"])
    print(json.dumps({k: [round(v, 1) for v in vs] for k, vs in runs.items()}))
    print(
        f"model: Qwen2-shaped, hidden {args.hidden}, {args.layers} layers, random init; device {args.device}"
    )
    print(f"bare TRL SFTTrainer      {bare:10.1f} tokens/s (best of {args.repeats})")
    print(
        f"r1data train sft         {ours:10.1f} tokens/s (best of {args.repeats})   ratio {ours / bare:.3f} (target ≥ 0.98)"
    )
    if packed is not None:
        print(f"r1data train sft packed  {packed:10.1f} tokens/s")


if __name__ == "__main__":
    main()
