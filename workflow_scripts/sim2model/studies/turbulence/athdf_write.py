"""Writer of genuine Athena++-layout HDF5 files (``.athdf``) for uniform meshes.

Used by surrogate simulators so that their snapshots go through exactly the reader path of real
Athena++ output. The layout reproduces a serial Athena++ run (``shared/fixtures/FORMATS.md``
1.2-1.3), down to the on-disk types:

* root attributes in Athena++'s order: ``NumCycles`` (``>i4``), ``Time`` (data precision, LE),
  ``Coordinates`` (``|S21``, null-terminated ASCII), ``RootGridX1..3`` (data precision,
  ``(min, max, 1.0)``), ``RootGridSize``, ``NumMeshBlocks``, ``MeshBlockSize``, ``MaxLevel``,
  ``NumVariables`` (all ``>i4``), ``DatasetNames`` and ``VariableNames`` (``|S21``);
* datasets ``Levels`` (``>i4``, all 0), ``LogicalLocations`` (``>i8``), the face and centre
  coordinates ``x1f, x2f, x3f, x1v, x2v, x3v`` (data precision, per block) and one cell-data
  dataset per name, ``(nvar, nblocks, nx3, nx2, nx1)``, little-endian float32 or float64;
* blocks in serial Athena++ order: the depth-first traversal of the block tree, i.e. Morton
  (Z-) order of ``(lx1, lx2, lx3)`` with x1 the fastest bit, within the smallest power-of-two
  tree covering the root grid (:func:`athena_block_order`).

Faces are ``linspace(min, max, N + 1)`` computed in float64 and centres their midpoints
(cartesian), then cast to the data precision. Files are written atomically (temporary file +
``os.replace``) without HDF5 timestamps, so identical inputs give byte-identical files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import h5py
import numpy as np
from numpy.typing import DTypeLike

#: Athena++ stores names in fixed strings of this size (so at most 20 characters)
NAME_SIZE = 21
_INT32 = np.dtype(">i4")
#: datasets every file holds besides the cell data
MESH_DATASETS = ("Levels", "LogicalLocations", "x1f", "x2f", "x3f", "x1v", "x2v", "x3v")


def athena_block_order(blocks_per_axis: tuple[int, int, int]) -> np.ndarray:
    """``(lx1, lx2, lx3)`` of every root-level block, ``(n, 3)``, in serial Athena++ order.

    Athena++ walks its block tree depth first, visiting children with x1 fastest, then x2, then
    x3; on a uniform mesh this is the Morton order of the interleaved bits of (lx3, lx2, lx1).
    """
    counts = [int(n) for n in blocks_per_axis]
    if len(counts) != 3 or min(counts) < 1:
        raise ValueError(f"blocks_per_axis must be three positive integers, got {blocks_per_axis}")
    lx3, lx2, lx1 = np.meshgrid(*(np.arange(n) for n in counts[::-1]), indexing="ij")
    locations = np.stack([lx1.ravel(), lx2.ravel(), lx3.ravel()], axis=1).astype(np.int64)
    key = np.zeros(len(locations), dtype=np.int64)
    for bit in range(max(counts).bit_length()):
        for axis in range(3):
            key |= ((locations[:, axis] >> bit) & 1) << (3 * bit + axis)
    return locations[np.argsort(key, kind="stable")]


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not name or not name.isascii() or len(name) >= NAME_SIZE:
        raise ValueError(f"{kind} name {name!r} must be 1 to {NAME_SIZE - 1} ASCII characters")


def _validated(
    datasets: Mapping[str, Mapping[str, np.ndarray]], block_size: tuple[int, int, int]
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Check names and shapes; return the global shape (Nz, Ny, Nx) and blocks per axis (x1..x3)."""
    if not datasets:
        raise ValueError("datasets is empty: give at least one dataset with one variable")
    shapes, seen = {}, set()
    for dataset, variables in datasets.items():
        _check_name("dataset", dataset)
        if dataset in MESH_DATASETS:
            raise ValueError(f"dataset name {dataset!r} is reserved for mesh data {MESH_DATASETS}")
        if not variables:
            raise ValueError(f"dataset {dataset!r} holds no variables")
        for name, values in variables.items():
            _check_name("variable", name)
            if name in seen:
                raise ValueError(f"variable {name!r} appears in more than one dataset")
            seen.add(name)
            shapes[f"{dataset}/{name}"] = np.shape(values)
    shape = next(iter(shapes.values()))
    if len(set(shapes.values())) != 1 or len(shape) != 3:
        raise ValueError(
            f"every variable must be one (Nz, Ny, Nx) array of the same shape: {shapes}"
        )
    block = tuple(int(n) for n in block_size)
    nx1, nx2, nx3 = block if len(block) == 3 else (0, 0, 0)
    nz, ny, nx = shape
    if min(nx1, nx2, nx3) < 1 or nx % nx1 or ny % nx2 or nz % nx3:
        raise ValueError(
            f"block_size (nx1, nx2, nx3) = {block_size} must be positive and divide the mesh "
            f"(Nx, Ny, Nz) = {(nx, ny, nz)}"
        )
    return shape, (nx // nx1, ny // nx2, nz // nx3)


def _write_strings(f: h5py.File, name: str, values: list[str], scalar: bool = False) -> None:
    """A fixed-length (``|S21``), null-terminated ASCII string attribute, as Athena++ writes it."""
    string_type = h5py.h5t.C_S1.copy()
    string_type.set_size(NAME_SIZE)
    string_type.set_strpad(h5py.h5t.STR_NULLTERM)
    if scalar:
        space = h5py.h5s.create(h5py.h5s.SCALAR)
        buffer = np.array(values[0], dtype=f"S{NAME_SIZE}")
    else:
        space = h5py.h5s.create_simple((len(values),))
        buffer = np.array(values, dtype=f"S{NAME_SIZE}")
    attr = h5py.h5a.create(f.id, name.encode(), string_type, space)
    attr.write(buffer, mtype=string_type)


def _coordinates(
    lo: float, hi: float, n: int, size: int, locations: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per-block faces ``(nblocks, size + 1)`` and centres ``(nblocks, size)`` in float64."""
    faces = np.linspace(lo, hi, n + 1)
    starts = locations * size
    block_faces = faces[starts[:, None] + np.arange(size + 1)]
    return block_faces, 0.5 * (block_faces[:, :-1] + block_faces[:, 1:])


def write_athdf(
    path: str | os.PathLike,
    datasets: Mapping[str, Mapping[str, np.ndarray]],
    *,
    time: float,
    cycle: int,
    block_size: tuple[int, int, int],
    domain: tuple[tuple[float, float], tuple[float, float], tuple[float, float]] = (
        (-0.5, 0.5),
        (-0.5, 0.5),
        (-0.5, 0.5),
    ),
    dtype: DTypeLike = np.float32,
) -> None:
    """Write global ``(Nz, Ny, Nx)`` arrays as an Athena++ ``.athdf`` file.

    ``datasets`` maps each dataset name (``prim``, ``B``, ``hydro``, ...) to its ordered
    variables; ``block_size`` is ``(nx1, nx2, nx3)``; ``domain`` gives ``(min, max)`` along x1,
    x2, x3; ``dtype`` (float32 or float64) is the precision of data, coordinates, ``Time`` and
    ``RootGridX*``.
    """
    path = Path(path)
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    dtype = dtype.newbyteorder("<")
    if not np.isfinite(time) or int(cycle) != cycle or cycle < 0:
        raise ValueError(f"time must be finite and cycle a non-negative integer: {time}, {cycle}")
    (nz, ny, nx), per_axis = _validated(datasets, block_size)
    bounds = np.asarray(domain, dtype=np.float64)
    if bounds.shape != (3, 2) or not (
        np.all(np.isfinite(bounds)) and np.all(bounds[:, 0] < bounds[:, 1])
    ):
        raise ValueError(f"domain must be three finite (min < max) pairs, got {domain}")
    nx1, nx2, nx3 = (int(n) for n in block_size)
    locations = athena_block_order(per_axis)
    nblocks = len(locations)
    lx1, lx2, lx3 = locations.T

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs.create("NumCycles", np.array(cycle, dtype=_INT32))
            f.attrs.create("Time", np.array(time, dtype=dtype))
            _write_strings(f, "Coordinates", ["cartesian"], scalar=True)
            for axis, (lo, hi) in enumerate(bounds, start=1):
                f.attrs.create(f"RootGridX{axis}", np.array([lo, hi, 1.0], dtype=dtype))
            f.attrs.create("RootGridSize", np.array([nx, ny, nz], dtype=_INT32))
            f.attrs.create("NumMeshBlocks", np.array(nblocks, dtype=_INT32))
            f.attrs.create("MeshBlockSize", np.array([nx1, nx2, nx3], dtype=_INT32))
            f.attrs.create("MaxLevel", np.array(0, dtype=_INT32))
            counts = [len(v) for v in datasets.values()]
            f.attrs.create("NumVariables", np.array(counts, dtype=_INT32))
            _write_strings(f, "DatasetNames", list(datasets))
            _write_strings(f, "VariableNames", [v for d in datasets.values() for v in d])

            f.create_dataset("Levels", data=np.zeros(nblocks, _INT32), track_times=False)
            f.create_dataset("LogicalLocations", data=locations.astype(">i8"), track_times=False)
            coords = [
                _coordinates(lo, hi, n, size, lx)
                for (lo, hi), n, size, lx in zip(
                    bounds, (nx, ny, nz), (nx1, nx2, nx3), (lx1, lx2, lx3), strict=True
                )
            ]
            for kind, which in (("f", 0), ("v", 1)):
                for axis, pair in enumerate(coords, start=1):
                    f.create_dataset(
                        f"x{axis}{kind}", data=pair[which].astype(dtype), track_times=False
                    )
            for name, variables in datasets.items():
                cells = np.stack([np.asarray(a) for a in variables.values()]).astype(dtype)
                # (nvar, Nz, Ny, Nx) -> (nvar, nb3, nb2, nb1, nx3, nx2, nx1) -> file block order
                cells = cells.reshape(len(variables), per_axis[2], nx3, per_axis[1], nx2, -1, nx1)
                cells = cells.transpose(0, 1, 3, 5, 2, 4, 6)[:, lx3, lx2, lx1]
                f.create_dataset(name, data=cells, track_times=False)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
