"""Thin TRL trainers: ``r1data train sft | grpo | distill`` (see the README section "Training")."""
