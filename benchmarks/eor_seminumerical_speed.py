"""Seconds per semi-numerical reionization box, against one plain FFT of the same box.

For each grid size, times what ``tests/test_eor_seminumerical.py`` used to bound at 2 s for 32^3:
a new :class:`DensityBox`, :func:`zeta_for_xhi` (bisection to xHI = 0.5 at z = 8, which also
builds the max-f_coll box over every smoothing radius) and :meth:`DensityBox.snapshot`. The
baseline, measured in the same run, is one ``scipy.fft.irfftn`` of the box's ``delta_k`` (the
method's unit of work: one inverse FFT per smoothing radius, plus one forward and one inverse
for the density), so ``box / FFT`` near the FFT count means the FFTs dominate. Medians of
``--repeats`` runs on one core (fresh seeds: no cache between repeats).

    python benchmarks/eor_seminumerical_speed.py --sizes 32 64 128
"""

import os

os.environ["OMP_NUM_THREADS"] = "1"  # one core: before NumPy is imported
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.fft

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow_scripts"))

from sim2model.studies.eor21cm.seminumerical import (  # noqa: E402
    DensityBox,
    SimConfig,
    zeta_for_xhi,
)

REDSHIFT, TARGET_XHI = 8.0, 0.5


def box_seconds(config: SimConfig, seed: int) -> dict[str, float]:
    """Seconds of each stage of one box: density, max f_coll + bisection, snapshot."""
    start = time.perf_counter()
    box = DensityBox(seed=seed, config=config)
    density = time.perf_counter()
    box.fcoll_max(REDSHIFT)
    fcoll = time.perf_counter()
    zeta = zeta_for_xhi(box, TARGET_XHI, REDSHIFT)
    bisect = time.perf_counter()
    box.snapshot(REDSHIFT, zeta)
    end = time.perf_counter()
    return {
        "density": density - start,
        "fcoll": fcoll - density,
        "bisect": bisect - fcoll,
        "snapshot": end - bisect,
        "total": end - start,
    }


def fft_seconds(config: SimConfig, repeats: int) -> float:
    """Median seconds of one ``irfftn`` of a box's ``delta_k`` (complex64) to ``n^3``."""
    delta_k = DensityBox(seed=0, config=config).delta_k
    shape = (config.n,) * 3
    scipy.fft.irfftn(delta_k, s=shape)  # plan / warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        scipy.fft.irfftn(delta_k, s=shape)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--mpc-per-cell", type=float, default=1.5, help="cell size (Mpc)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    first = SimConfig(n=args.sizes[0], box_mpc=args.sizes[0] * args.mpc_per_cell)
    cold = box_seconds(first, seed=0)["total"]  # fills the cosmology caches (sigma_8 integrals)
    print(f"semi-numerical box (xHI={TARGET_XHI} at z={REDSHIFT:g}) vs one irfftn of the same "
          f"box, one core, {args.mpc_per_cell:g} Mpc cells, medians of {args.repeats}")  # fmt: skip
    print(f"{'box':<8}{'radii':>6}{'FFTs':>6}{'total s':>9}{'density':>9}{'fcoll':>8}"
          f"{'bisect':>8}{'snap':>8}{'FFT ms':>9}{'box/FFT':>9}")  # fmt: skip
    for n in args.sizes:
        config = SimConfig(n=n, box_mpc=n * args.mpc_per_cell)
        runs = [box_seconds(config, seed=1 + r) for r in range(args.repeats)]
        med = {k: float(np.median([run[k] for run in runs])) for k in runs[0]}
        fft = fft_seconds(config, 3 * args.repeats)
        radii = len(config.radii())
        print(f"{f'{n}^3':<8}{radii:>6}{radii + 2:>6}{med['total']:>9.3f}{med['density']:>9.3f}"
              f"{med['fcoll']:>8.3f}{med['bisect']:>8.3f}{med['snapshot']:>8.3f}"
              f"{1e3 * fft:>9.2f}{med['total'] / fft:>9.1f}")  # fmt: skip
    print("FFTs: one irfftn per smoothing radius plus the density's rfftn and irfftn")
    print(f"first {args.sizes[0]}^3 box of the process (fills the cosmology caches): {cold:.3f} s")


if __name__ == "__main__":
    main()
