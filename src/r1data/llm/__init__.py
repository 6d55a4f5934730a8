"""Talking to models: an OpenAI-compatible chat client (retries, back-off, routing), the vLLM offline
engine, and sampling settings. Used by generation and the judges now, by evaluation and GRPO next."""

from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "ChatClient": "r1data.llm.client",
    "EndpointConfig": "r1data.llm.client",
    "GenerationError": "r1data.llm.client",
    "VLLMEngine": "r1data.llm.engine",
    "SamplingConfig": "r1data.llm.config",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
