from r1data.core.step import R1Step
from r1data.pipelines.finish import RunResult
from r1data.pipelines.recipe import Recipe, load_recipe, resolve_path
from r1data.pipelines.runner import run_recipe

__all__ = ["R1Step", "Recipe", "RunResult", "load_recipe", "resolve_path", "run_recipe"]
