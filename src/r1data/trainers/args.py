"""The r1data arguments of ``r1data train``: data, chat template, context and rewards. Model arguments
are TRL's :class:`~trl.ModelConfig`, training arguments TRL's own config of each method; all three are
parsed together by TRL's parser (YAML keys are field names, command-line flags override them)."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_REWARDS = ["accuracy", "format", "language_consistency"]


@dataclass
class DataArguments:
    dataset_name: str | None = field(
        default=None,
        metadata={
            "help": "An r1data output folder (as `r1data run` wrote it), a Hub dataset id, or several, "
            "comma-separated, each optionally weighted: 'outputs/math:0.7,outputs/code:0.3'."
        },
    )
    dataset_split: str = field(default="train", metadata={"help": "Split to train on."})
    max_train_rows: int | None = field(default=None, metadata={"help": "Use at most this many rows."})
    chat_template: str = field(
        default="auto",
        metadata={
            "help": "auto: keep the model's chat template when it can train R1 rows (keeps <think> in "
            "assistant turns, marks them for the loss, ends them with EOS), else use r1data's ChatML "
            "training template; keep: refuse a template that cannot; or a path to a Jinja template."
        },
    )
    extend_context: int | None = field(
        default=None,
        metadata={
            "help": "Extend the model's positions to this many tokens with rope_theta 300000 (what "
            "open-r1 did for Qwen2.5-Math-7B's 4K context: 32768)."
        },
    )
    reward_funcs: list[str] = field(
        default_factory=lambda: list(DEFAULT_REWARDS),
        metadata={
            "help": "GRPO rewards by name, comma- or space-separated: accuracy, format, r1_zero_format, "
            "language_consistency, helpfulness, harmlessness (weights: --reward_weights)."
        },
    )
    reward_model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "helpfulness/harmlessness: a local sequence-classification reward model."},
    )
    reward_endpoint: str | None = field(
        default=None,
        metadata={"help": "helpfulness/harmlessness: an OpenAI-compatible endpoint that grades (0-10)."},
    )
    reward_endpoint_model: str | None = field(default=None, metadata={"help": "Model name at that endpoint."})
    prompt_template: str = field(
        default="chat",
        metadata={
            "help": "GRPO/distill prompts: chat (the rows' user turn through the chat template) or "
            "r1_zero (R1-Zero's plain template: the <think>/<answer> instruction, 'User: …', "
            "'Assistant: <think>', for base models)."
        },
    )
    allow_truncation: bool = field(
        default=False,
        metadata={
            "help": "GRPO: start even when max_completion_length is shorter than most reference "
            "completions (they would be cut and score 0)."
        },
    )

    def __post_init__(self):
        if self.prompt_template not in ("chat", "r1_zero"):
            raise ValueError(f"prompt_template must be chat or r1_zero, got {self.prompt_template!r}")

    def reward_names(self) -> list[str]:
        names = [n.strip() for item in self.reward_funcs for n in item.split(",") if n.strip()]
        return names or list(DEFAULT_REWARDS)
