"""GalSim galaxy stamps per second on one core: continuous vs discretised Sérsic index vs batched.

First the accepted stamps of :func:`simulate_shard` on the default prior, once with ``n_grid=0``
(continuous n: a new Sérsic table for every draw) and once with ``n_grid=1000`` after the grid's
tables have been built (a one-off cost per process, reported on its own line). Then the noiseless
renders alone, side by side on the same prior draws: GalSim with continuous n, GalSim with the
cached grid, and the batched NumPy renderer (:mod:`sim2model.studies.galsim.sersic_batch`, on
``--batch-factor`` times as many draws for a stable timing), with ratios to cached GalSim. About
two minutes with the defaults.

    python benchmarks/galsim_throughput.py --n-images 200
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"  # one core: before GalSim and NumPy are imported
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow_scripts"))

from sim2model.studies.galsim import sersic_batch
from sim2model.studies.galsim.galaxies import (  # noqa: E402
    _draw_params,
    limit_threads,
    preload_profiles,
    render_noiseless,
    simulate_shard,
)
from sim2model.studies.galsim.prior import GalaxyPrior  # noqa: E402


def _rate(
    prior: GalaxyPrior, n_images: int, seed: int, tables_dir: str | None = None
) -> tuple[float, float]:
    """Seconds taken and accepted images per second for one shard."""
    start = time.perf_counter()
    simulate_shard(prior, n_images, seed, tables_dir=tables_dir)
    seconds = time.perf_counter() - start
    return seconds, n_images / seconds


def _draws(prior: GalaxyPrior, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` prior draws: parameters (count, 5) and PSF FWHMs (count,)."""
    rng = np.random.default_rng(seed)
    grid = prior.n_values()
    draws = [_draw_params(rng, prior, grid) for _ in range(count)]
    return np.array([d[0] for d in draws]), np.array([d[1] for d in draws])


def _render_rate(render: Callable[[], object], count: int) -> tuple[float, float]:
    """Seconds taken and images per second for one call rendering ``count`` stamps."""
    start = time.perf_counter()
    render()
    seconds = time.perf_counter() - start
    return seconds, count / seconds


def _galsim_renders(params: np.ndarray, fwhm: np.ndarray, prior: GalaxyPrior) -> None:
    for p, f in zip(params, fwhm, strict=True):
        render_noiseless(p, f, prior, keep_profile=prior.n_grid > 0)


def compare_renderers(prior: GalaxyPrior, n_images: int, batch_factor: int, seed: int) -> None:
    """Print noiseless stamps per second of the three renderers on the same prior draws."""
    continuous_prior = replace(prior, n_grid=0)
    params, fwhm = _draws(continuous_prior, n_images, seed)
    continuous = _render_rate(lambda: _galsim_renders(params, fwhm, continuous_prior), n_images)
    params, fwhm = _draws(prior, batch_factor * n_images, seed)
    head = params[:n_images], fwhm[:n_images]
    cached = _render_rate(lambda: _galsim_renders(*head, prior), n_images)
    with tempfile.TemporaryDirectory() as cache_dir:
        start = time.perf_counter()
        sersic_batch.load_tables(prior.n_values(), cache_dir)
        build = time.perf_counter() - start
        start = time.perf_counter()
        tables = sersic_batch.load_tables(prior.n_values(), cache_dir)
        load = time.perf_counter() - start
    sersic_batch.render_batch(params[:8], fwhm[:8], prior, tables)  # per-FWHM setup
    batched = _render_rate(
        lambda: sersic_batch.render_batch(params, fwhm, prior, tables), len(params)
    )

    print(f"\nnoiseless renders, same prior draws (n_grid={prior.n_grid} except continuous n)")
    print(f"{'renderer':<26}{'images':>8}{'seconds':>10}{'img/s':>10}{'x cached':>10}")
    for name, count, (seconds, rate) in (
        ("GalSim, continuous n", n_images, continuous),
        ("GalSim, cached grid", n_images, cached),
        ("batched NumPy", len(params), batched),
    ):
        print(f"{name:<26}{count:>8}{seconds:>10.2f}{rate:>10.1f}{rate / cached[1]:>10.2f}")
    print(f"batched / continuous GalSim: {batched[1] / continuous[1]:.0f}x")
    print(f"batched tables: built in {build:.1f} s once, loaded from the cache in {load:.3f} s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-images", type=int, default=200, help="accepted images per mode")
    parser.add_argument("--n-grid", type=int, default=1000, help="Sérsic index grid size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--batch-factor", type=int, default=10, help="draws for the batched renderer per image"
    )
    parser.add_argument(
        "--psf-fwhm", type=float, nargs=2, default=(0.5, 0.5), help="PSF FWHM prior (lo hi)"
    )
    args = parser.parse_args(argv)

    limit_threads(1)
    prior = GalaxyPrior(psf_fwhm=tuple(args.psf_fwhm))
    continuous = _rate(replace(prior, n_grid=0), args.n_images, args.seed)
    discrete_prior = replace(prior, n_grid=args.n_grid)
    start = time.perf_counter()
    n_tables = preload_profiles(discrete_prior)
    preload = time.perf_counter() - start
    discrete = _rate(discrete_prior, args.n_images, args.seed)
    with tempfile.TemporaryDirectory() as cache_dir:
        sersic_batch.load_tables(discrete_prior.n_values(), cache_dir)  # built once per grid
        batched = _rate(discrete_prior, 10 * args.n_images, args.seed, tables_dir=cache_dir)

    print("accepted stamps of simulate_shard (rendering, SNR cut, noise, PSF image)")
    print(f"{'mode':<30}{'images':>8}{'seconds':>10}{'img/s':>10}{'x warm':>8}")
    for name, count, (seconds, rate) in (
        ("GalSim, continuous n", args.n_images, continuous),
        (f"GalSim, n_grid={args.n_grid} (warm)", args.n_images, discrete),
        ("batched renderer", 10 * args.n_images, batched),
    ):
        print(f"{name:<30}{count:>8}{seconds:>10.2f}{rate:>10.1f}{rate / discrete[1]:>8.2f}")
    print(f"GalSim grid / continuous: {discrete[1] / continuous[1]:.1f}x")
    paper = 3 * 200_000
    print(
        f"paper preset ({paper:,} stamps) on 2 cores: GalSim grid "
        f"{paper / (2 * discrete[1]) / 60:.0f} min, batched {paper / (2 * batched[1]) / 60:.1f} min"
    )
    print(f"one-off table build: {n_tables} Sérsic tables in {preload:.1f} s per process")
    break_even = preload / (1 / continuous[1] - 1 / discrete[1])
    print(f"a fresh process overtakes continuous n after ~{break_even:.0f} images")
    compare_renderers(discrete_prior, args.n_images, args.batch_factor, args.seed)


if __name__ == "__main__":
    main()
