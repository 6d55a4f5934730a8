"""What the tiny teacher of the engine tests learns: the exact requests r1data sends for the sample
prompts (rendered with r1data's own rollouts) and the answers it must give. No pytest here: the bench
in bench/generate_engine.py uses it from the vLLM environment."""

from __future__ import annotations

import json

from r1data.generators.rollouts import Rollout, RouterRollout
from r1data.pipelines.recipe import resolve_path

# what the tiny teacher answers; rs-sq is wrong on purpose (rejection sampling must drop it)
MATH_ANSWERS = {
    "rs-add": ("Two plus three is five. Check: 5 - 3 = 2.", "The sum is \\boxed{5}."),
    "rs-mul": ("Seven times six is forty-two. Check: 42 / 6 = 7.", "The product is \\boxed{42}."),
    "rs-sub": ("Twelve minus five is seven. Check: 7 + 5 = 12.", "The difference is \\boxed{7}."),
    "rs-sq": ("Nine squared is nine times two, eighteen.", "So the answer is \\boxed{18}."),
    "rs-half": ("Half of thirty is fifteen. Check: 15 * 2 = 30.", "Half of 30 is \\boxed{15}."),
    "rs-div": ("One hundred over four is twenty-five. Check: 25 * 4 = 100.", "The quotient is \\boxed{25}."),
}
NON_REASONING_ANSWERS = {
    "nr-hello": "Hello! How can I help you today?",
    "nr-thanks-zh": "不客气！很高兴能帮到你。",
    "nr-haiku": "<think>\nA haiku has lines of five, seven and five syllables.\n</think>\n\n"
    "Waves fold into foam,\nsalt wind carries gull voices,\nthe tide breathes and sleeps.",
    "nr-capital": "<think>\nThe capital city of France is Paris.\n</think>\n\nThe capital of France is Paris.",
    "nr-translate": "<think>\nGood morning is Bonjour; my friend is mon ami.\n</think>\n\nBonjour, mon ami.",
}


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def training_pairs() -> list[dict]:
    pairs = []
    sample = Rollout(1)
    for record in read_jsonl(resolve_path("package://r1data/sample/reasoning_prompts.jsonl")):
        reasoning, summary = MATH_ANSWERS[record["id"]]
        response = f"<think>\n{reasoning}\n</think>\n\n{summary}"
        pairs.append({"messages": sample.messages(record), "response": response})
    router = RouterRollout()
    for record in read_jsonl(resolve_path("package://r1data/sample/non_reasoning_prompts.jsonl")):
        pairs.append({"messages": router.messages(record), "response": NON_REASONING_ANSWERS[record["id"]]})
    return pairs
