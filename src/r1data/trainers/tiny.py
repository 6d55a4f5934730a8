"""A tiny random chat model made offline, to try a training recipe end to end on a CPU before the real
student (nothing is downloaded): a byte-level tokenizer with r1data's ChatML training template and
``<think>`` tokens, and a Qwen2 or Llama of ~100K parameters. It learns nothing useful; it runs every
code path of ``r1data train`` (template checks, masks, rewards, checkpoints, the model card).

    python -m r1data.trainers.tiny OUT_DIR [--arch qwen2|llama] [--seed N]
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]


def chat_template() -> str:
    """r1data's training template (assistant turns marked with ``{% generation %}``)."""
    return resources.files("r1data.trainers").joinpath("templates/chatml_think.jinja").read_text()


def byte_level_tokenizer(specials: list[str], template: str):
    """A tokenizer of the 256 byte tokens (a token is a byte: token counts are byte lengths) plus
    ``specials``, ending turns with ``<|im_end|>`` and padding with ``<|endoftext|>``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=core)
    tok.add_special_tokens({"additional_special_tokens": list(specials)})
    tok.eos_token, tok.pad_token = "<|im_end|>", "<|endoftext|>"
    tok.chat_template = template
    return tok


def byte_tokenizer():
    """The byte-level tokenizer with ChatML's and ``<think>``'s special tokens and r1data's template."""
    return byte_level_tokenizer(SPECIALS, chat_template())


def tiny_model(out_dir: str | Path, arch: str = "qwen2", seed: int = 0) -> Path:
    """Write a random ``arch`` (qwen2 or llama) model and its tokenizer to ``out_dir``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tok = byte_tokenizer()
    config_cls, model_cls = {
        "qwen2": (Qwen2Config, Qwen2ForCausalLM),
        "llama": (LlamaConfig, LlamaForCausalLM),
    }[arch]
    config = config_cls(
        vocab_size=len(tok),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=4096,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    out_dir = Path(out_dir)
    model_cls(config).save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m r1data.trainers.tiny", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out_dir")
    parser.add_argument("--arch", choices=["qwen2", "llama"], default="qwen2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(tiny_model(args.out_dir, args.arch, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
