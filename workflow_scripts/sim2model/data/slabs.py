"""Buffered slab splits of 3D cubes into 2D train / val / test images.

Images cut from one simulation box are correlated over the size of its gas structures, so a random
split by image would put pieces of the same structure in training and test sets. Instead every
cube is cut along one axis into three slabs, in the order

    train | buffer | val | buffer | test [| buffer]

with ``buffer`` cells left unused between slabs, so any two cells of different splits are more
than ``buffer`` cells apart. Simulation boxes are usually periodic; then the last slab also
touches the first across the box edge, and a last buffer separates them (``periodic=True``).

2D samples are either *slices* perpendicular to the cut axis, optionally cut into square tiles,
or *plane tiles*: square tiles of the (Y, X) planes that lie inside one slab of a cut along y or x
(the samples of a 2D mesh, whose z axis has one cell; a 3D run may ask for them too, one set per
z plane). The test split can also hold *projections*: means of ``projection_depth`` adjacent
slices (or z planes), which mimic observed column densities. Works on any dataset of the project
contract whose ``x`` are cubes ``(N, Z, Y, X, C)``; targets are class ids or regression rows
(repeated per image) or target cubes ``(N, Z, Y, X, C')`` (image2image; cut exactly like ``x``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim2model.data.split import check_fractions
from sim2model.io.dataset import Dataset

log = logging.getLogger(__name__)

SPLITS = ("train", "val", "test")
#: Per-image meta columns that :func:`spatial_split` adds.
SAMPLE_COLUMNS = (
    "cube_index",
    "slice_index",
    "slice_depth",
    "tile_row",
    "tile_col",
    "cut_start",
    "sample_id",
)


@dataclass(frozen=True)
class SlabLayout:
    """Where each split lies along the cut axis (cell ranges ``[start, stop)``)."""

    depth: int
    buffer: int
    periodic: bool
    ranges: dict[str, tuple[int, int]]

    def split_of(self, index: int) -> str | None:
        """The split holding cell ``index`` (``None`` for a buffer cell)."""
        if not 0 <= index < self.depth:
            raise IndexError(f"cell {index} is outside the axis [0, {self.depth})")
        for name, (start, stop) in self.ranges.items():
            if start <= index < stop:
                return name
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-able description (for dataset attributes)."""
        return {
            "depth": self.depth,
            "buffer": self.buffer,
            "periodic": self.periodic,
            "ranges": {k: list(v) for k, v in self.ranges.items()},
        }


def _check_int(value: Any, option: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum``; ``ValueError`` naming ``option`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{option} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _split_fractions(fractions: Mapping[str, float]) -> np.ndarray:
    """Fractions in :data:`SPLITS` order (missing splits are 0); errors name the option."""
    unknown = sorted(set(fractions) - set(SPLITS))
    if unknown:
        raise ValueError(f"dataset.fractions: unknown splits {unknown}, expected keys of {SPLITS}")
    try:
        return check_fractions({k: float(fractions.get(k, 0.0)) for k in SPLITS})
    except ValueError as err:
        raise ValueError(f"dataset.fractions: {err}") from err


def _largest_remainder(values: np.ndarray, total: int) -> np.ndarray:
    """Integer shares of ``total`` for fractions ``values`` (summing to 1).

    Floors of ``values * total``, the cells left over going to the largest remainders (ties to the
    earlier split); then every positive fraction left at 0 takes one cell from the split that is
    furthest above its quota.
    """
    quota = np.round(values * total, 9)
    sizes = np.floor(quota).astype(int)
    remainders = np.round(quota - sizes, 9)  # 5.6 - 5 and 1.6 - 1 differ in floats: a tie here
    order = sorted(range(len(values)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sizes.sum()]:
        sizes[i] += 1
    for i in np.flatnonzero((values > 0) & (sizes == 0)):
        donors = np.flatnonzero(sizes > 1)
        sizes[donors[np.argmax(sizes[donors] - quota[donors])]] -= 1
        sizes[i] = 1
    return sizes


def slab_layout(
    depth: int, fractions: Mapping[str, float], buffer: int, periodic: bool = True
) -> SlabLayout:
    """Place the train / val / test slabs and buffers along an axis of ``depth`` cells.

    Order along the axis: train | buffer | val | buffer | test [| buffer if periodic]. The cells
    left after the buffers are shared by the fractions (largest-remainder rounding; every split
    with a fraction > 0 gets >= 1 cell). A split with fraction 0 gets an empty range and no
    buffer. Raises ``ValueError`` naming ``dataset.spatial.buffer`` and ``dataset.fractions``
    when ``depth`` is too small.
    """
    depth = _check_int(depth, "the cube depth along dataset.spatial.axis", 1)
    buffer = _check_int(buffer, "dataset.spatial.buffer", 0)
    values = _split_fractions(fractions)
    active = int(np.count_nonzero(values > 0))
    n_buffers = active - 1 + (periodic and active > 1)
    cells = depth - n_buffers * buffer
    if cells < active:
        raise ValueError(
            f"dataset.spatial.buffer={buffer} leaves no room: {active} non-empty splits of "
            f"dataset.fractions and {n_buffers} buffers need a depth of at least "
            f"{active + n_buffers * buffer} cells, but the cut axis has {depth}; lower "
            "dataset.spatial.buffer or give fewer splits a non-zero dataset.fractions entry"
        )
    sizes = _largest_remainder(values, cells)
    ranges = {}
    stop = 0
    for name, size in zip(SPLITS, sizes, strict=True):
        start = stop + buffer if size and stop else stop
        stop = start + int(size)
        ranges[name] = (start, stop)
    return SlabLayout(depth=depth, buffer=buffer, periodic=bool(periodic), ranges=ranges)


def _tile_grid(block: np.ndarray, tile_h: int, tile_w: int) -> np.ndarray:
    """View of ``block`` ``(N, S, H, W, C)`` as ``(N, S, rows, cols, tile_h, tile_w, C)``."""
    n, s, h, w, c = block.shape
    rows, cols = h // tile_h, w // tile_w
    crop = block[:, :, : rows * tile_h, : cols * tile_w]
    return crop.reshape(n, s, rows, tile_h, cols, tile_w, c).transpose(0, 1, 2, 4, 3, 5, 6)


def _project(block: np.ndarray, depth: int, log10: bool = False) -> np.ndarray:
    """Means of non-overlapping groups of ``depth`` slices of ``block`` ``(N, S, H, W, C)``.

    ``log10``: the slices hold log10 of a quantity; the projection is then log10 of the mean of
    the linear quantity (a column density averages the density along the line of sight, not its
    logarithm). Summed in float64, returned in ``block``'s dtype; trailing slices that fill no
    group are dropped.
    """
    n, s, h, w, c = block.shape
    groups = block[:, : s // depth * depth].reshape(n, s // depth, depth, h, w, c)
    if log10:
        mean = np.power(10.0, groups, dtype=np.float64).mean(axis=2)
        return np.log10(mean).astype(block.dtype)
    return groups.mean(axis=2, dtype=np.float64).astype(block.dtype)


def _tiles(
    block: np.ndarray, step: int, tile_h: int, tile_w: int, log10: bool = False
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Tiles of ``block`` ``(N, S, H, W, C)`` (its slices first projected by ``step`` > 1, see
    :func:`_project` for ``log10``), in (cube, slice, tile row, tile col) order, and those four
    indices of every tile."""
    if step > 1:
        block = _project(block, step, log10)
    grid = _tile_grid(block, tile_h, tile_w)
    images = np.empty((int(np.prod(grid.shape[:4])), tile_h, tile_w, grid.shape[-1]), grid.dtype)
    images.reshape(grid.shape)[...] = grid
    return images, tuple(a.ravel() for a in np.indices(grid.shape[:4], dtype=np.int64))


Cut = Callable[[np.ndarray, int, int, int, bool], tuple[np.ndarray, dict[str, np.ndarray]]]


def _slice_cutter(axis: int, tile: int | None) -> Cut:
    """Slices perpendicular to ``axis`` (optionally tiled) of cells ``[start, stop)``."""

    def cut(arrays: np.ndarray, start: int, stop: int, step: int, log10: bool):
        cubes = np.moveaxis(arrays, 1 + axis, 1)
        height, width = cubes.shape[2:4]
        tile_h, tile_w = (tile, tile) if tile is not None else (height, width)
        images, (cube, offset, row, col) = _tiles(cubes[:, start:stop], step, tile_h, tile_w, log10)
        columns = {
            "cube_index": cube,
            "slice_index": start + step * offset,
            "slice_depth": np.full(cube.shape, step, dtype=np.int64),
            "tile_row": row,
            "tile_col": col,
        }
        return images, columns

    return cut


def _plane_cutter(axis: int, tile: int) -> Cut:
    """Tiles of the (Y, X) planes inside cells ``[start, stop)`` of ``axis`` (1: y, 2: x);
    ``cut_start`` is a tile's first cell along the cut axis, projections average z planes."""

    def cut(cubes: np.ndarray, start: int, stop: int, step: int, log10: bool):
        band = cubes[:, :, start:stop] if axis == 1 else cubes[:, :, :, start:stop]
        images, (cube, plane, row, col) = _tiles(band, step, tile, tile, log10)
        columns = {
            "cube_index": cube,
            "slice_index": step * plane,
            "slice_depth": np.full(cube.shape, step, dtype=np.int64),
            "tile_row": row,
            "tile_col": col,
            "cut_start": start + tile * (row if axis == 1 else col),
        }
        return images, columns

    return cut


def _check_tile_fits_slabs(layout: SlabLayout, tile: int) -> None:
    """Plane tiles lie inside one slab: every non-empty slab must be at least a tile deep."""
    for name, (start, stop) in layout.ranges.items():
        if stop > start and stop - start < tile:
            raise ValueError(
                f"dataset.spatial.tile={tile} is deeper than the {name} slab ({stop - start} "
                f"cells of {layout.depth} along the cut axis); lower the tile or the buffer, or "
                "raise that split's dataset.fractions entry"
            )


def _join(arrays: list[np.ndarray]) -> np.ndarray:
    """Concatenate along the first axis, without a copy for a single array."""
    return arrays[0] if len(arrays) == 1 else np.concatenate(arrays)


#: Kinds of 2D samples :func:`spatial_split` cuts.
SAMPLE_KINDS = ("slices", "plane_tiles")


def sample_kind(cube_shape: tuple[int, ...], samples: str | None) -> str:
    """The kind of samples to cut: ``samples``, or (``None``/``"auto"``) plane tiles for 2D meshes
    (one cell along z) and slices for 3D cubes."""
    if samples in (None, "auto"):
        return "plane_tiles" if cube_shape[0] == 1 else "slices"
    if samples not in SAMPLE_KINDS:
        raise ValueError(f"dataset.spatial.samples must be one of {SAMPLE_KINDS} or auto")
    return samples


def _check_plane_tiles(ds: Dataset, axis: int, tile: int | None, projection_depth: int | None):
    """Raise ``ValueError`` naming the option that plane tiles cannot use."""
    nz = ds.x.shape[1]
    if axis == 0:
        raise ValueError(
            "dataset.spatial.axis=0 (z) is perpendicular to the (Y, X) planes that plane tiles "
            f"are cut from{' (a 2D mesh)' if nz == 1 else ''}: cut along 1 (y) or 2 (x)"
        )
    if tile is None:
        raise ValueError("dataset.spatial.tile: plane tiles need a tile size (cells per side)")
    if projection_depth is not None and projection_depth > nz:
        raise ValueError(
            f"dataset.spatial.projection_depth={projection_depth}: plane tiles are projected "
            f"along z, which has {nz} cell(s); set it to null"
            + (" for a 2D mesh" if nz == 1 else "")
        )


def _check_inputs(
    ds: Dataset, axis: int, tile: int | None, projection_depth: int | None, kind: str = "slices"
) -> None:
    """Raise ``ValueError`` naming the option or array that ``spatial_split`` cannot use."""
    if ds.x.ndim != 5:
        raise ValueError(
            f"spatial split needs 'x' of cubes (N, Z, Y, X, C), got shape {ds.x.shape}"
        )
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis not in (0, 1, 2):
        raise ValueError(f"dataset.spatial.axis must be 0, 1 or 2 (Z, Y, X), got {axis!r}")
    if ds.y.ndim == 5 and ds.y.shape[1:4] != ds.x.shape[1:4]:
        raise ValueError(
            f"image2image target cubes 'y' {ds.y.shape} do not match the cubes 'x' {ds.x.shape}"
        )
    if ds.attrs.get("task") == "image2image" and ds.y.ndim != 5:
        raise ValueError(f"image2image 'y' must be cubes (N, Z, Y, X, C), got {ds.y.shape}")
    if projection_depth is not None:
        _check_int(projection_depth, "dataset.spatial.projection_depth", 2)
    if kind == "plane_tiles":
        _check_plane_tiles(ds, axis, tile, projection_depth)
        return
    image = [n for i, n in enumerate(ds.x.shape[1:4]) if i != axis]
    if tile is not None and _check_int(tile, "dataset.spatial.tile", 1) > min(image):
        raise ValueError(
            f"dataset.spatial.tile={tile} is larger than the {image[0]}x{image[1]} slices"
            + (" (a 2D mesh: use plane tiles, dataset.spatial.samples: auto)" if 1 in image else "")
        )


def _is_log10(name: str | None) -> bool:
    """Whether a dataset variable named ``name`` (``input_name``, ``target_names``) is a log10."""
    return isinstance(name, str) and name.startswith("log10 ")


def _meta_columns(cube_meta: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cube meta columns, renaming ``name`` to ``cube_<name>`` where it clashes with a new one."""
    renamed = {}
    for name, values in cube_meta.items():
        key = f"cube_{name}" if name in SAMPLE_COLUMNS else name
        if key != name and key in cube_meta:
            raise ValueError(f"cube meta columns '{name}' and '{key}' would both be '{key}'")
        renamed[key] = np.asarray(values)
    return renamed


def spatial_split(
    ds: Dataset,
    *,
    axis: int,
    buffer: int,
    fractions: Mapping[str, float],
    periodic: bool = True,
    tile: int | None = None,
    projection_depth: int | None = None,
    samples: str | None = None,
    train_on_projections: bool = False,
) -> dict[str, Dataset]:
    """Cut every cube of ``ds`` into 2D samples of the train / val / test slabs.

    ``samples`` (:data:`SAMPLE_KINDS`, or None / "auto": plane tiles for 2D meshes, slices
    otherwise) chooses the samples; plane tiles are described below the slices.

    ``axis`` (0, 1, 2) is the cube axis (Z, Y, X) the slabs are cut along; each image keeps the
    other two axes in their order (axis 0 gives (Y, X) images, 1 gives (Z, X), 2 gives (Z, Y)).
    ``tile`` cuts every slice into non-overlapping ``tile x tile`` images from its first row and
    column (remainder cells dropped; ``None`` keeps whole slices). ``projection_depth`` adds to
    the test split the means of that many adjacent slices, in non-overlapping groups from the
    start of the test slab, after all the test slices; ``train_on_projections`` adds them to the
    train and validation splits too (from the start of their own slabs). Maps of a variable
    named ``"log10 ..."`` (``attrs["input_name"]``, ``attrs["target_names"]``) are projected as
    log10 of the mean of the linear quantity, like an observed column density.

    Returns one dataset per split (empty for a zero fraction): ``x`` ``(M, H, W, C)``; ``y`` the
    cube's class or regression row repeated, or its target cube cut (and projected) like ``x``;
    ``meta`` every cube column repeated (a clashing name gets a ``cube_`` prefix) plus
    :data:`SAMPLE_COLUMNS` (``slice_index`` is the first cell along the axis, ``slice_depth`` 1 for
    slices, ``projection_depth`` for projections, ``sample_id`` 0..M-1); ``extra`` dropped;
    ``attrs`` copied plus ``spatial_split``, a JSON-able description of the cut.

    Plane tiles (``axis`` 1 or 2, ``tile`` required): every (Y, X) plane of a cube is cut along
    ``axis`` into the slabs, and each slab into ``tile x tile`` tiles lying wholly inside it
    (remainder cells dropped); ``slice_index`` is the z plane, ``cut_start`` the tile's first cell
    along ``axis``; projections average ``projection_depth`` adjacent z planes.
    """
    kind = sample_kind(ds.x.shape[1:4], samples)
    _check_inputs(ds, axis, tile, projection_depth, kind)
    depth = ds.x.shape[1 + axis]
    layout = slab_layout(depth, fractions, buffer, periodic)
    description = {
        "axis": int(axis),
        "tile": None if tile is None else int(tile),
        "projection_depth": None if projection_depth is None else int(projection_depth),
        "train_on_projections": bool(train_on_projections),
    }
    if kind == "plane_tiles":
        _check_tile_fits_slabs(layout, tile)
        cut, description = _plane_cutter(axis, tile), {"samples": kind, **description}
    else:
        test_start, test_stop = layout.ranges["test"]
        if projection_depth is not None and projection_depth > test_stop - test_start:
            raise ValueError(
                f"dataset.spatial.projection_depth={projection_depth} is deeper than the test "
                f"slab ({test_stop - test_start} cells of {depth}); lower it or raise the test "
                "fraction in dataset.fractions"
            )
        cut = _slice_cutter(axis, tile)
    cube_meta = _meta_columns(ds.meta)
    x_log10 = _is_log10(ds.attrs.get("input_name"))
    y_log10 = _is_log10(next(iter(ds.attrs.get("target_names") or ()), None))

    out = {}
    for name in SPLITS:
        start, stop = layout.ranges[name]
        projected = projection_depth and (name == "test" or train_on_projections)
        steps = [1] + ([projection_depth] if projected else [])
        parts = [cut(ds.x, start, stop, step, x_log10) for step in steps]
        columns = {k: _join([p[1][k] for p in parts]) for k in parts[0][1]}
        cube = columns["cube_index"]
        if ds.y.ndim == 5:
            y = _join([cut(ds.y, start, stop, step, y_log10)[0] for step in steps])
        else:
            y = ds.y[cube]
        meta = {k: v[cube] for k, v in cube_meta.items()}
        meta.update(columns)
        meta["sample_id"] = np.arange(cube.size, dtype=np.int64)
        attrs = {**ds.attrs, "spatial_split": {**description, **layout.as_dict()}}
        x = _join([p[0] for p in parts])
        out[name] = Dataset(x=x, y=y, meta=meta, extra={}, attrs=attrs)
        log.info(
            "%s: %d %s from cells [%d, %d) of %d cubes", name, len(x), kind, start, stop, len(ds)
        )
    return out
