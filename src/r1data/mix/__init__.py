"""``r1data mix``: the final SFT set from several curated sets, with quotas per subset and domain."""

from r1data.core.lazy import lazy_exports

_EXPORTS = {
    "MixRecipe": "r1data.mix.recipe",
    "load_mix_recipe": "r1data.mix.recipe",
    "run_mix": "r1data.mix.run",
    "ShortageError": "r1data.mix.run",
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
