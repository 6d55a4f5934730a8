"""The budget ladder: what a sample cut by its token budget gets, instead of being lost with the tokens
spent on it.

A ladder is increasing budgets (``max_tokens: [16384, 32768, 65536]``) and a mode:

* ``drop`` — nothing: the cut sample is kept as cut (``finish_reason: length``) and the filters drop it;
* ``continue`` — the sample's own text is sent back as the start of the answer (vLLM/SGLang
  ``continue_final_message``; the engine appends it to the prompt) with what is left of the next budget,
  until it ends or the ladder does;
* ``resample`` — a fresh sample (another seed) at the next budget;
* ``close`` — the reasoning is closed (``</think>``) and only the summary is asked, ``close_tokens``
  long (budget forcing, as in s1); the sample is marked ``forced_close``.

Only cut samples go up. Each step is its own request (its own cache key: a resumed run asks nothing
twice), and the completion records its steps: ``ladder: [{budget, mode, completion_tokens,
finish_reason}, …]`` and ``tokens.spent`` (every completion token generated for it, rescues included).

>>> ladder = Ladder([100, 300], "continue")
>>> cut = {"text": "<think>\\nlong", "finish_reason": "length", "tokens": {"prompt": 5, "completion": 100}}
>>> step = ladder.next_step("<think>\\n", {"max_tokens": 100}, cut)
>>> step.mode, step.params["max_tokens"], step.prefix == cut["text"]
('continue', 200, True)
>>> done = ladder.merge(cut, {"text": cut["text"] + " and done</think>\\n\\nA", "finish_reason": "stop",
...                           "tokens": {"prompt": 105, "completion": 40}}, step)
>>> done["tokens"], [e["mode"] for e in done["ladder"]]
({'prompt': 5, 'completion': 140, 'spent': 140}, ['first', 'continue'])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CLOSE_THINK = "\n</think>\n\n"
_RESAMPLE_SEED_STEP = 7919  # a fresh sample per rung, still reproducible


@dataclass(frozen=True)
class Step:
    """One request up the ladder: the response prefix, the sampling parameters, the mode, the budget."""

    prefix: str
    params: dict[str, Any]
    mode: str
    budget: int


def _open_reasoning(text: str) -> bool:
    return text.rfind("<think>") > text.rfind("</think>")


@dataclass
class Ladder:
    rungs: list[int]
    mode: str = "drop"
    close_tokens: int = 1024

    @property
    def active(self) -> bool:
        return self.mode == "close" or (self.mode in ("continue", "resample") and len(self.rungs) > 1)

    def history(self, result: dict[str, Any]) -> list[dict[str, Any]]:
        """The steps a result went through (one for a result that was never cut)."""
        return result.get("ladder") or [
            {
                "budget": self.rungs[0],
                "mode": "first",
                "completion_tokens": (result.get("tokens") or {}).get("completion"),
                "finish_reason": result.get("finish_reason"),
            }
        ]

    def next_step(self, prefix: str, params: dict[str, Any], result: dict[str, Any]) -> Step | None:
        """The request that takes a cut ``result`` one step up, or None (not cut, or nowhere to go).
        ``prefix`` and ``params`` are the sample's first request's."""
        if result.get("finish_reason") != "length" or not self.active or result.get("forced_close"):
            return None
        text = result.get("text") or ""
        if self.mode == "close":
            if not _open_reasoning(text):
                return None  # cut in the summary (or no reasoning block): nothing to close
            params = {**params, "max_tokens": self.close_tokens}
            return Step(text.rstrip() + CLOSE_THINK, params, "close", self.close_tokens)
        rung = self._rung(result)
        if rung + 1 >= len(self.rungs):
            return None
        budget = self.rungs[rung + 1]
        if self.mode == "continue":
            used = (result.get("tokens") or {}).get("completion") or self.rungs[rung]
            return Step(text, {**params, "max_tokens": max(1, budget - used)}, "continue", budget)
        fresh = {**params, "max_tokens": budget}
        if fresh.get("seed") is not None:
            fresh["seed"] = fresh["seed"] + _RESAMPLE_SEED_STEP * (rung + 1)
        return Step(prefix, fresh, "resample", budget)

    def _rung(self, result: dict[str, Any]) -> int:
        budget = self.history(result)[-1]["budget"]
        return self.rungs.index(budget) if budget in self.rungs else 0

    def merge(self, result: dict[str, Any], new: dict[str, Any], step: Step) -> dict[str, Any]:
        """The completion after ``step``: ``new``'s text (which starts with ``step.prefix``), the tokens
        of the answer it ends with and of everything spent, and the steps so far."""
        old_tokens, new_tokens = result.get("tokens") or {}, new.get("tokens") or {}
        history = self.history(result)
        entry = {
            "budget": step.budget,
            "mode": step.mode,
            "completion_tokens": new_tokens.get("completion"),
            "finish_reason": new.get("finish_reason"),
        }
        history = [*history, entry]
        spent = sum(e["completion_tokens"] or 0 for e in history)
        if step.mode == "resample":
            tokens = {"prompt": new_tokens.get("prompt"), "completion": new_tokens.get("completion")}
        else:  # the answer is the old text and its continuation
            tokens = {
                "prompt": old_tokens.get("prompt"),
                "completion": (old_tokens.get("completion") or 0) + (new_tokens.get("completion") or 0),
            }
        merged = {**new, "tokens": {**tokens, "spent": spent}, "ladder": history}
        if step.mode == "close":
            merged["forced_close"] = True
        return merged
