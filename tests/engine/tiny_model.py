"""Build a tiny chat model on the spot, for the real-vLLM tests: no download, a few seconds on a CPU.

    python tiny_model.py OUT_DIR PAIRS.json [--steps N]

PAIRS.json is a list of ``{"messages": [...], "response": "..."}``. The model (Qwen2 architecture,
2 layers, hidden 128, 4 heads of size 32, byte-level tokenizer with a ChatML chat template) is trained
until it reproduces each response after its chat-templated prompt, so that a test can tell what the
engine should return: verifiable answers, a wrong one, a direct greeting.

Runs in the vLLM environment (it needs transformers and torch, which the main environment lacks).
"""

from __future__ import annotations

import argparse
import json
import sys

CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def byte_tokenizer():
    from r1data.trainers.tiny import byte_level_tokenizer  # r1data is installed in the vLLM venv too

    return byte_level_tokenizer(SPECIALS, CHAT_TEMPLATE)


def build(out_dir: str, pairs: list[dict], steps: int, seed: int = 0) -> tuple[float, int]:
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(seed)
    tok = byte_tokenizer()
    config = Qwen2Config(
        vocab_size=len(tok),
        hidden_size=128,
        intermediate_size=256,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=32,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.convert_tokens_to_ids("<|endoftext|>"),
        pad_token_id=tok.pad_token_id,
    )
    model = Qwen2ForCausalLM(config)
    rows = []
    for pair in pairs:
        prompt = tok.apply_chat_template(pair["messages"], tokenize=False, add_generation_prompt=True)
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        r_ids = tok(pair["response"] + "<|im_end|>", add_special_tokens=False)["input_ids"]
        rows.append((p_ids + r_ids, [-100] * len(p_ids) + r_ids))
    width = max(len(ids) for ids, _ in rows)
    input_ids = torch.tensor([ids + [tok.pad_token_id] * (width - len(ids)) for ids, _ in rows])
    labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in rows])
    mask = (torch.arange(width)[None, :] < torch.tensor([len(i) for i, _ in rows])[:, None]).long()
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    loss = torch.tensor(float("inf"))
    step = 0
    for step in range(steps):
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        optim.step()
        optim.zero_grad()
        if loss.item() < 0.002 and step > 50:
            break
    model.generation_config.eos_token_id = tok.eos_token_id
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    return loss.item(), step + 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("pairs")
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    with open(args.pairs, encoding="utf-8") as f:
        pairs = json.load(f)
    loss, used = build(args.out_dir, pairs, args.steps)
    print(json.dumps({"final_loss": loss, "steps": used}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
