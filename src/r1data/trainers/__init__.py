"""Thin TRL trainers: ``r1data train sft | grpo | distill`` (see docs/how-to/train.md)."""
