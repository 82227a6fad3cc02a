"""Reader for Athena++ HDF5 output (``.athdf``) on uniform meshes, with h5py only.

An ``.athdf`` file stores the mesh as meshblocks: each cell-data dataset named in the root
attribute ``DatasetNames`` has shape ``(nvar, nblocks, nx3, nx2, nx1)``, and block ``b`` sits
at integer position ``LogicalLocations[b] = (lx1, lx2, lx3)``. The format facts implemented
here (see ``shared/fixtures/FORMATS.md``, section 1):

* Blocks are reassembled from ``LogicalLocations`` and ``MeshBlockSize``, never from their file
  order (Athena++ writes them in Z-order, grouped by MPI rank):
  ``global[lx3*nx3 + k, lx2*nx2 + j, lx1*nx1 + i] = dataset[v, b, k, j, i]``. The global array
  is indexed ``[z, y, x]`` (x3, x2, x1) although attributes list x1 first. A 2-D mesh gives
  ``Nz == 1``.
* Variables are located through ``DatasetNames`` / ``NumVariables`` / the flat
  ``VariableNames`` list, so ``prim``, ``cons``, ``B``, ``hydro`` and ``user_out_var`` all work.
* Integer metadata is stored big-endian (``>i4``/``>i8``) and is cast to native ``int64``;
  fixed-length byte strings are decoded to ``str``; ``Time`` and ``RootGridX*`` have the data
  precision (t = 0.3 in a float32 file reads 0.30000001192092896). Cell data keep their stored
  float kind and size (float32 or float64) in native byte order.
* Files written with ``mesh_data = false`` lack the mesh attributes and coordinates; the block
  and root-grid sizes then come from the data shape and the logical locations, positions are
  in cell units (domain ``[0, N]``, cell size 1) and ``coordinates`` is ``"unknown"``.
* **Refined meshes are refused** (``MaxLevel > 0`` or any ``Levels != 0``): building one uniform
  array would need restriction or prolongation, a physics choice this reader does not make
  silently. Resample first with Athena++'s ``athena_read.athdf(path, level=...)``.
* Derived variables (:data:`DERIVED_VARIABLES`) are computed in float64 from the stored ones and
  cast to the stored dtype. Athena++ field units absorb 4 pi, so ``emag = B^2 / 2`` is the
  magnetic pressure (energy density).
* **Non-finite cells are refused**: a variable that is read (stored, or an input of a derived
  one) holding NaN or +-inf raises, naming the variable, the count of bad cells and the first
  bad cell's global ``[z, y, x]`` index (a crashed or diverged run, not data to learn from). A
  derived variable that overflows its stored dtype is refused likewise. Only the variables
  asked for are checked, with one vectorised ``np.isfinite`` pass each.

One variable is read with one h5py slice ``dataset[v]`` (one block-variable at a time, never the
whole multi-variable dataset). Every error is an :class:`AthdfError` naming the file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import h5py
import numpy as np

log = logging.getLogger(__name__)

#: attributes written only when ``mesh_data = true`` (the Athena++ default)
MESH_ATTRS = ("RootGridSize", "MeshBlockSize", "RootGridX1", "RootGridX2", "RootGridX3")


class AthdfError(ValueError):
    """An ``.athdf`` file is unreadable, malformed or unsupported; the message names the file."""


@dataclass(frozen=True)
class AthdfHeader:
    """Metadata of one ``.athdf`` file (sizes are ordered x1, x2, x3 as in the file)."""

    path: str
    time: float
    cycle: int
    variables: tuple[str, ...]
    dataset_of: dict[str, tuple[str, int]]
    root_grid_size: tuple[int, int, int]
    block_size: tuple[int, int, int]
    domain: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    cell_size: tuple[float, float, float]
    data_dtype: str
    coordinates: str
    #: (lx1, lx2, lx3) of every block, in file order
    logical_locations: tuple[tuple[int, int, int], ...] = ()

    @property
    def shape_zyx(self) -> tuple[int, int, int]:
        """Shape of the reassembled global array, ``(Nx3, Nx2, Nx1)``."""
        nx1, nx2, nx3 = self.root_grid_size
        return (nx3, nx2, nx1)

    @property
    def num_blocks(self) -> int:
        """Number of meshblocks in the file."""
        return len(self.logical_locations)


@dataclass(frozen=True)
class DerivedVariable:
    """A quantity computed (in float64) from stored variables."""

    inputs: tuple[str, ...]
    compute: Callable[..., np.ndarray]
    description: str


def _magnetic_energy(b1: np.ndarray, b2: np.ndarray, b3: np.ndarray) -> np.ndarray:
    return 0.5 * (b1 * b1 + b2 * b2 + b3 * b3)


def _kinetic_energy(rho: np.ndarray, v1: np.ndarray, v2: np.ndarray, v3: np.ndarray) -> np.ndarray:
    return 0.5 * rho * (v1 * v1 + v2 * v2 + v3 * v3)


#: name -> derived quantity; a stored variable of the same name takes precedence
DERIVED_VARIABLES: dict[str, DerivedVariable] = {
    "emag": DerivedVariable(
        ("Bcc1", "Bcc2", "Bcc3"),
        _magnetic_energy,
        "magnetic energy density (Bcc1^2 + Bcc2^2 + Bcc3^2) / 2 (Athena++ units absorb 4 pi)",
    ),
    "ekin": DerivedVariable(
        ("rho", "vel1", "vel2", "vel3"),
        _kinetic_energy,
        "kinetic energy density rho (vel1^2 + vel2^2 + vel3^2) / 2",
    ),
}


def _attr(f: h5py.File, name: str, path: str) -> np.ndarray:
    """Root attribute ``name`` as an array; raise if it is missing."""
    if name not in f.attrs:
        raise AthdfError(f"{path}: missing root attribute '{name}'")
    return np.asarray(f.attrs[name])


def _scalar(f: h5py.File, name: str, path: str) -> np.generic:
    """A one-element root attribute as a numpy scalar."""
    value = _attr(f, name, path)
    if value.size != 1:
        raise AthdfError(f"{path}: attribute '{name}' should hold one value, got {value.shape}")
    return value.reshape(())[()]


def _ints(f: h5py.File, name: str, path: str, length: int | None = None) -> np.ndarray:
    """An integer root attribute as a native int64 vector (big-endian on disk)."""
    value = _attr(f, name, path)
    if value.dtype.kind not in "iu" or value.ndim > 1:
        raise AthdfError(f"{path}: attribute '{name}' must be an integer vector, got {value!r}")
    value = value.astype(np.int64).reshape(-1)
    if length is not None and value.size != length:
        raise AthdfError(f"{path}: attribute '{name}' must hold {length} values, got {value}")
    return value


def _strings(f: h5py.File, name: str, path: str) -> tuple[str, ...]:
    """A fixed-length byte-string root attribute as a tuple of ``str``."""
    value = _attr(f, name, path).reshape(-1)
    return tuple(v.decode("ascii", "replace") if isinstance(v, bytes) else str(v) for v in value)


def _domain(f: h5py.File, path: str) -> tuple[tuple[float, float], ...]:
    """``(min, max)`` along x1, x2, x3 from ``RootGridX1..3`` (min, max, ratio)."""
    domain = []
    for axis in (1, 2, 3):
        name = f"RootGridX{axis}"
        value = _attr(f, name, path).astype(np.float64).reshape(-1)
        if value.size != 3 or not value[0] < value[1]:
            raise AthdfError(f"{path}: attribute '{name}' must be (min < max, ratio), got {value}")
        if value[2] != 1.0:
            log.warning(
                "%s: x%d spacing is geometric (ratio %s); cell_size is the mean spacing",
                path,
                axis,
                value[2],
            )
        domain.append((float(value[0]), float(value[1])))
    return tuple(domain)


def _cell_datasets(
    f: h5py.File, path: str, names: tuple[str, ...], counts: np.ndarray
) -> tuple[int, tuple[int, int, int], np.dtype]:
    """Check the cell-data datasets; return (nblocks, (nx3, nx2, nx1), native dtype)."""
    shapes, dtypes = set(), set()
    for name, count in zip(names, counts, strict=True):
        ds = f.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise AthdfError(f"{path}: missing cell-data dataset '{name}' (listed in DatasetNames)")
        if ds.ndim != 5 or ds.shape[0] != count:
            raise AthdfError(
                f"{path}: dataset '{name}' has shape {ds.shape}, expected "
                f"({count}, nblocks, nx3, nx2, nx1) from NumVariables"
            )
        if ds.dtype.kind != "f":
            raise AthdfError(f"{path}: dataset '{name}' holds {ds.dtype}, expected floats")
        shapes.add(ds.shape[1:])
        dtypes.add(ds.dtype.newbyteorder("="))
    if len(shapes) != 1:
        raise AthdfError(
            f"{path}: cell-data datasets disagree on (nblocks, nx3, nx2, nx1): {shapes}"
        )
    if len(dtypes) != 1:
        raise AthdfError(f"{path}: cell-data datasets mix dtypes {sorted(map(str, dtypes))}")
    nblocks, *zyx = shapes.pop()
    return nblocks, tuple(zyx), dtypes.pop()


def _block_metadata(f: h5py.File, path: str, nblocks: int) -> np.ndarray:
    """Validated ``LogicalLocations`` (native int64, (nblocks, 3)); refuse refined meshes."""
    for name in ("Levels", "LogicalLocations"):
        if not isinstance(f.get(name), h5py.Dataset):
            raise AthdfError(f"{path}: missing dataset '{name}'")
    levels = f["Levels"][()].astype(np.int64).reshape(-1)
    locations = f["LogicalLocations"][()].astype(np.int64)
    if locations.ndim != 2 or locations.shape[1] != 3:
        raise AthdfError(f"{path}: 'LogicalLocations' has shape {locations.shape}, expected (n, 3)")
    if nblocks == 0:
        raise AthdfError(f"{path}: the file holds no meshblocks")
    counts = {
        "cell-data block axis": nblocks,
        "Levels": levels.size,
        "LogicalLocations": len(locations),
    }
    if "NumMeshBlocks" in f.attrs:
        counts["NumMeshBlocks"] = int(_scalar(f, "NumMeshBlocks", path))
    if len(set(counts.values())) != 1:
        raise AthdfError(f"{path}: inconsistent meshblock counts {counts}")
    max_level = int(_scalar(f, "MaxLevel", path)) if "MaxLevel" in f.attrs else 0
    if max_level > 0 or np.any(levels != 0):
        raise AthdfError(
            f"{path}: refined meshes are not supported (MaxLevel {max_level}, levels "
            f"{sorted(set(levels.tolist()))}); resample to one level first with Athena++'s "
            "athena_read.athdf(path, level=...)"
        )
    return locations


def _check_tiling(path: str, locations: np.ndarray, root: np.ndarray, block: np.ndarray) -> None:
    """Raise unless the blocks tile the root grid exactly once."""
    if np.any(block < 1) or np.any(root % block):
        raise AthdfError(
            f"{path}: RootGridSize {root.tolist()} is not a multiple of MeshBlockSize "
            f"{block.tolist()}"
        )
    per_axis = root // block
    outside = np.any((locations < 0) | (locations >= per_axis), axis=1)
    if outside.any():
        b = int(np.argmax(outside))
        raise AthdfError(
            f"{path}: block {b} has logical location {locations[b].tolist()} outside the "
            f"{per_axis.tolist()} blocks of the root grid"
        )
    unique, first, counts = np.unique(locations, axis=0, return_index=True, return_counts=True)
    if np.any(counts > 1):
        raise AthdfError(
            f"{path}: duplicated logical location(s) {unique[counts > 1].tolist()} "
            f"(first at block(s) {first[counts > 1].tolist()})"
        )
    if len(unique) != int(np.prod(per_axis)):
        raise AthdfError(
            f"{path}: {len(unique)} blocks do not tile the {per_axis.tolist()} blocks "
            "of the root grid"
        )


def _parse_header(f: h5py.File, path: str) -> AthdfHeader:
    """Read and validate all metadata of an open file."""
    dataset_names = _strings(f, "DatasetNames", path)
    counts = _ints(f, "NumVariables", path, len(dataset_names))
    variables = _strings(f, "VariableNames", path)
    if np.any(counts < 1) or counts.sum() != len(variables):
        raise AthdfError(
            f"{path}: NumVariables {counts.tolist()} does not partition the "
            f"{len(variables)} VariableNames {list(variables)}"
        )
    if len(set(variables)) != len(variables):
        raise AthdfError(f"{path}: VariableNames holds duplicates: {list(variables)}")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    dataset_of = {
        variables[start + i]: (name, i)
        for name, start, count in zip(dataset_names, starts, counts, strict=True)
        for i in range(count)
    }
    nblocks, (nz, ny, nx), dtype = _cell_datasets(f, path, dataset_names, counts)
    locations = _block_metadata(f, path, nblocks)
    data_block = np.array([nx, ny, nz], dtype=np.int64)
    if any(name in f.attrs for name in MESH_ATTRS):
        block = _ints(f, "MeshBlockSize", path, 3)
        if not np.array_equal(block, data_block):
            raise AthdfError(
                f"{path}: cell data have blocks of (nx1, nx2, nx3) = {data_block.tolist()}, "
                f"but MeshBlockSize is {block.tolist()}"
            )
        root = _ints(f, "RootGridSize", path, 3)
        domain = _domain(f, path)
        coordinates = _strings(f, "Coordinates", path)[0] if "Coordinates" in f.attrs else "unknown"
    else:
        log.warning("%s: no mesh attributes (mesh_data = false); positions in cell units", path)
        block = data_block
        root = (locations.max(axis=0) + 1) * block
        domain = tuple((0.0, float(n)) for n in root)
        coordinates = "unknown"
    _check_tiling(path, locations, root, block)
    return AthdfHeader(
        path=path,
        time=float(_scalar(f, "Time", path)),
        cycle=int(_scalar(f, "NumCycles", path)),
        variables=variables,
        dataset_of=dataset_of,
        root_grid_size=tuple(int(n) for n in root),
        block_size=tuple(int(n) for n in block),
        domain=domain,
        cell_size=tuple((hi - lo) / int(n) for (lo, hi), n in zip(domain, root, strict=True)),
        data_dtype=dtype.str,
        coordinates=coordinates,
        logical_locations=tuple(tuple(int(v) for v in row) for row in locations),
    )


@contextmanager
def _open(path: str | os.PathLike) -> Iterator[tuple[h5py.File, AthdfHeader]]:
    """Open ``path`` and parse its header; turn HDF5 failures into :class:`AthdfError`."""
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise AthdfError(f"{name}: .athdf file does not exist")
    try:
        with h5py.File(name, "r") as f:
            yield f, _parse_header(f, name)
    except OSError as err:
        raise AthdfError(
            f"{name}: cannot read as an HDF5 file (truncated or corrupt?): {err}"
        ) from err


def _check_finite(header: AthdfHeader, name: str, values: np.ndarray, what: str = "") -> None:
    """Raise naming the file, the variable, the bad-cell count and the first bad ``[z, y, x]``."""
    finite = np.isfinite(values)
    if finite.all():
        return
    first = np.unravel_index(int(np.argmin(finite)), values.shape)
    bad = values[first]
    raise AthdfError(
        f"{header.path}: variable {name!r}{what} holds {finite.size - np.count_nonzero(finite)} "
        f"non-finite cell(s) (NaN/inf); first at [z, y, x] = {[int(i) for i in first]} "
        f"(value {bad})"
    )


def _assemble(f: h5py.File, header: AthdfHeader, name: str) -> np.ndarray:
    """Global ``(Nz, Ny, Nx)`` array of stored variable ``name``, placed by logical location."""
    dataset, index = header.dataset_of[name]
    ds = f[dataset]
    blocks = np.empty(ds.shape[1:], dtype=header.data_dtype)
    ds.read_direct(blocks, np.s_[index])
    nx1, nx2, nx3 = header.block_size
    out = np.empty(header.shape_zyx, dtype=header.data_dtype)
    for block, (lx1, lx2, lx3) in zip(blocks, header.logical_locations, strict=True):
        out[
            lx3 * nx3 : (lx3 + 1) * nx3, lx2 * nx2 : (lx2 + 1) * nx2, lx1 * nx1 : (lx1 + 1) * nx1
        ] = block
    _check_finite(header, name, out)
    return out


def _available(header: AthdfHeader) -> list[str]:
    """Stored variables plus the derived ones computable from them."""
    derived = [
        name
        for name, d in DERIVED_VARIABLES.items()
        if name not in header.dataset_of and all(v in header.dataset_of for v in d.inputs)
    ]
    return list(header.variables) + derived


def _variable(f: h5py.File, header: AthdfHeader, name: str) -> np.ndarray:
    """A stored or derived variable as a global array in the stored dtype."""
    if name in header.dataset_of:
        return _assemble(f, header, name)
    if name not in _available(header):
        raise AthdfError(
            f"{header.path}: unknown variable {name!r}; available: {_available(header)}"
        )
    derived = DERIVED_VARIABLES[name]
    inputs = [_assemble(f, header, v).astype(np.float64) for v in derived.inputs]
    with np.errstate(over="ignore"):
        values = derived.compute(*inputs).astype(header.data_dtype)
    _check_finite(header, name, values, f" (derived, overflows {np.dtype(header.data_dtype)})")
    return values


def read_athdf_header(path: str | os.PathLike) -> AthdfHeader:
    """Validated metadata of an ``.athdf`` file (no cell data is read)."""
    with _open(path) as (_, header):
        return header


def read_athdf_variable(path: str | os.PathLike, name: str) -> np.ndarray:
    """One stored or derived variable as a global ``(Nz, Ny, Nx)`` array in the stored dtype."""
    with _open(path) as (f, header):
        return _variable(f, header, name)


def read_athdf(
    path: str | os.PathLike, variables: Sequence[str] | None = None
) -> tuple[AthdfHeader, dict[str, np.ndarray]]:
    """Header and global arrays of ``variables`` (default: every stored variable)."""
    with _open(path) as (f, header):
        names = header.variables if variables is None else tuple(variables)
        return header, {name: _variable(f, header, name) for name in names}
