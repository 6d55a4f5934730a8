"""Generation: rollout methods (N samples, few-shot, reflect-and-verify, reformat, refine, router), the
resumable generation loop and its request cache, self-cognition records, the ``generate`` step and
``r1data generate``. Clients and engines live in :mod:`r1data.llm`."""

from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "Generate": "r1data.generators.generate_step",
    "GenerationConfig": "r1data.generators.config",
    "SelfCognition": "r1data.generators.self_cognition",
    "generate_records": "r1data.generators.generate",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
