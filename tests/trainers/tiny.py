"""Tiny chat models built at test time (nothing downloaded): a byte-level tokenizer with a ChatML chat
template that marks the assistant turn for TRL (``{% generation %}``), and a random Qwen2 or Llama of
~100K parameters."""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for m in messages %}"
    "{% if m['role'] == 'assistant' %}<|im_start|>assistant\n{% generation %}{{ m['content'] }}<|im_end|>"
    "{% endgeneration %}\n"
    "{% else %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
THINK_TOKENS = ["<think>", "</think>"]


def byte_tokenizer():
    """The byte-level tokenizer of the vLLM tests, with ``<think>`` tokens and the training template."""
    from tests.engine.tiny_model import SPECIALS
    from tests.engine.tiny_model import byte_tokenizer as base

    tok = base()
    tok.add_special_tokens({"additional_special_tokens": [*SPECIALS, *THINK_TOKENS]})
    tok.chat_template = CHAT_TEMPLATE
    return tok


def tiny_model(out_dir: Path, arch: str = "qwen2", seed: int = 0) -> Path:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tok = byte_tokenizer()
    config_cls, model_cls = (
        (Qwen2Config, Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig, LlamaForCausalLM)
    )
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
    model_cls(config).save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return out_dir
