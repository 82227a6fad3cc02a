"""Turbulence source stage: Athena++ snapshots -> FITS cubes -> contract shards of cubes.

Every class of a dataset variant becomes one shard holding that class's snapshots as cubes
``(N, Z, Y, X, 1)`` of log10 of the input variable; ``y`` is the class id (classification) or
the log10 target cube (image2image). The generic dataset stage then cuts the cubes into buffered
slabs of 2D maps. ``turbulence_flatten`` derives the flattened-power-spectrum variant.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim2model.data.normalise import fit_normaliser
from sim2model.data.spectrum import flatten_spectrum, radial_amplitude_profile
from sim2model.io.dataset import Dataset, DatasetError, read_dataset, write_dataset
from sim2model.provenance import stamp_attrs
from sim2model.studies.turbulence.fits_cube import read_fits_cube

log = logging.getLogger(__name__)

#: Snapshot times of surrogate files (code units): one per snapshot, like spaced outputs of a run.
SURROGATE_OUTPUT_DT = 0.5


def turbulence_surrogate(
    snapshots: Sequence[str], *, transport: str, cells: int, block_cells: int, seeds: Sequence[int]
) -> None:
    """Write the surrogate snapshots of one transport class as Athena++ ``.athdf`` files."""
    from sim2model.studies.turbulence.surrogate import write_surrogate_snapshot

    for index, (path, seed) in enumerate(zip(snapshots, seeds, strict=True)):
        write_surrogate_snapshot(
            path, transport, cells, seed, snapshot=index, block_cells=block_cells,
            time=SURROGATE_OUTPUT_DT * (index + 1),
        )  # fmt: skip
        log.info("%s snapshot %d (%d^3 cells) -> %s", transport, index, cells, path)


def athdf_to_fits(snapshot: str, fits: str, *, variable: str) -> None:
    """Convert one variable of one Athena++ snapshot into a FITS cube."""
    from sim2model.hashing import sha256_file
    from sim2model.studies.turbulence.athdf import read_athdf
    from sim2model.studies.turbulence.fits_cube import write_fits_cube

    header, arrays = read_athdf(snapshot, [variable])
    data = arrays[variable]
    write_fits_cube(
        fits, data, variable=variable, header=header, source_sha256=sha256_file(snapshot)
    )
    log.info("%s[%s] %s t=%g -> %s", snapshot, variable, data.shape, header.time, fits)


def _log10_cubes(paths: Sequence[str]) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """log10 of the FITS cubes at ``paths`` as ``(N, Z, Y, X, 1)`` float32, and their headers."""
    cubes, headers = [], []
    for path in paths:
        data, header = read_fits_cube(path)
        if not np.all(data > 0):
            raise DatasetError(
                f"{path}: variable {header['VARIABLE']} has values <= 0, cannot take log10"
            )
        cubes.append(np.log10(data.astype(np.float64)).astype(np.float32))
        headers.append(header)
    shapes = {cube.shape for cube in cubes}
    if len(shapes) != 1:
        raise DatasetError(f"cubes {list(paths)} differ in shape: {sorted(shapes)}")
    return np.stack(cubes)[..., np.newaxis], headers


def turbulence_cubes(
    inputs: Sequence[str],
    shard: str,
    *,
    spec: Mapping[str, Any],
    class_index: int,
    class_names: Sequence[str],
    config: object,
    targets: Sequence[str] | None = None,
    shard_index: int | None = None,
) -> None:
    """One class's snapshots as a contract shard of log10 cubes (see the module docstring).

    ``class_index`` is the label; ``shard_index`` (default: the label) the transport class's
    position, which keeps sample ids unique when grouped classes share a label.
    """
    x, headers = _log10_cubes(inputs)
    n = len(x)
    attrs: dict[str, Any] = {
        "study": "turbulence",
        "task": spec["task"],
        "class_names": list(class_names),
        "input_name": f"log10 {spec['input']}",
        "target_names": [],
    }
    if spec["task"] == "classification":
        y = np.full(n, class_index, dtype=np.int64)
    else:
        y, _ = _log10_cubes(targets)
        attrs["target_names"] = [f"log10 {spec['target']}"]
        attrs["units"] = ["log10 code units"]
    meta = {
        "sample_id": np.arange(n, dtype=np.int64)
        + 100_000 * (class_index if shard_index is None else shard_index),
        "class_id": np.full(n, class_index, dtype=np.int64),
        "snapshot": np.arange(n, dtype=np.int64),
        "sim_time": np.array([h["SIMTIME"] for h in headers], dtype=np.float64),
        "cycle": np.array([h["CYCLE"] for h in headers], dtype=np.int64),
    }
    ds = Dataset(
        x=x, y=y, meta=meta, attrs=stamp_attrs(attrs, config=config, created_by="turbulence_cubes")
    )
    write_dataset(shard, ds)
    log.info(
        "%s: %d cubes %s of class %s -> %s",
        spec["input"],
        n,
        x.shape[1:],
        class_names[class_index],
        shard,
    )


def turbulence_flatten(
    splits: Sequence[str],
    train: str,
    val: str,
    test: str,
    norm: str,
    *,
    image_scaling: str,
    config: object,
) -> None:
    """Write the splits with every map's Fourier amplitudes set to the training set's mean profile.

    The profile is the mean radial amplitude over all training maps of all classes, so every
    class shares one power spectrum and only the phases differ (the reference's flattened test).
    """
    parts = [read_dataset(path) for path in splits]
    profile = radial_amplitude_profile(parts[0].x)
    for part, path in zip(parts, (train, val, test), strict=True):
        part.x = flatten_spectrum(part.x, profile)
        part.attrs = stamp_attrs(part.attrs, config=config, created_by="turbulence_flatten")
        write_dataset(path, part)
        log.info("flattened %d maps -> %s", len(part), path)
    fit_normaliser(
        parts[0].x, parts[0].y, task=parts[0].attrs["task"], image_scaling=image_scaling
    ).save(norm)
