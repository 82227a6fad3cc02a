"""Accepted GalSim galaxy stamps per second on one core: continuous vs discretised Sérsic index.

Both modes run the same :func:`simulate_shard` on the default recipe, once with ``n_grid=0``
(continuous n: a new Sérsic table for every draw) and once with ``n_grid=1000`` after the grid's
tables have been built (a one-off cost per process, reported on its own line). About a minute with
the defaults.

    python benchmarks/galsim_throughput.py --n-images 200
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"  # before GalSim is imported

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow_scripts"))

from sim2model.sims.galsim_galaxies import (  # noqa: E402
    GalaxyRecipe,
    limit_threads,
    preload_profiles,
    simulate_shard,
)


def _rate(recipe: GalaxyRecipe, n_images: int, seed: int) -> tuple[float, float]:
    """Seconds taken and accepted images per second for one shard."""
    start = time.perf_counter()
    simulate_shard(recipe, n_images, seed)
    seconds = time.perf_counter() - start
    return seconds, n_images / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-images", type=int, default=200, help="accepted images per mode")
    parser.add_argument("--n-grid", type=int, default=1000, help="Sérsic index grid size")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    limit_threads(1)
    recipe = GalaxyRecipe()
    continuous = _rate(replace(recipe, n_grid=0), args.n_images, args.seed)
    discrete_recipe = replace(recipe, n_grid=args.n_grid)
    start = time.perf_counter()
    n_tables = preload_profiles(discrete_recipe)
    preload = time.perf_counter() - start
    discrete = _rate(discrete_recipe, args.n_images, args.seed)

    print(f"{'mode':<22}{'images':>8}{'seconds':>10}{'img/s':>10}")
    for name, (seconds, rate) in (
        ("continuous n", continuous),
        (f"n_grid={args.n_grid} (warm)", discrete),
    ):
        print(f"{name:<22}{args.n_images:>8}{seconds:>10.2f}{rate:>10.1f}")
    print(f"speed-up: {discrete[1] / continuous[1]:.1f}x")
    print(f"one-off table build: {n_tables} Sérsic tables in {preload:.1f} s per process")
    break_even = preload / (1 / continuous[1] - 1 / discrete[1])
    print(f"a fresh process overtakes continuous n after ~{break_even:.0f} images")


if __name__ == "__main__":
    main()
