"""Buffered slab splits: no cell of one split lies within the buffer of another."""

from __future__ import annotations

import itertools
import json
import logging

import numpy as np
import pytest

from sim2model.data.slabs import SPLITS, sample_kind, slab_layout, spatial_split
from sim2model.io.dataset import Dataset, check_dataset

FRACTION_TRIPLES = [
    (0.8, 0.1, 0.1),
    (0.6, 0.2, 0.2),
    (1 / 3, 1 / 3, 1 / 3),
    (0.7, 0.0, 0.3),
    (0.5, 0.5, 0.0),
    (0.98, 0.01, 0.01),
    (1.0, 0.0, 0.0),
]
SHAPE = (20, 16, 24)  # (Z, Y, X) of the test cubes: a different depth along every axis


def _distance(a: np.ndarray, b: np.ndarray, depth: int, periodic: bool) -> np.ndarray:
    """Brute-force distances between every cell of ``a`` and every cell of ``b``."""
    d = np.abs(a[:, None] - b[None, :])
    return np.minimum(d, depth - d) if periodic else d


def _assert_separated(cells: dict[str, np.ndarray], depth: int, buffer: int, periodic: bool):
    for one, two in itertools.combinations(cells, 2):
        if cells[one].size and cells[two].size:
            gap = _distance(cells[one], cells[two], depth, periodic).min()
            assert gap > buffer, (one, two, gap)


@pytest.mark.parametrize("periodic", [True, False])
def test_layout_never_leaks_across_splits(periodic):
    n_checked = n_raised = 0
    for depth, triple, buffer in itertools.product(range(8, 81), FRACTION_TRIPLES, range(7)):
        fractions = dict(zip(SPLITS, triple, strict=True))
        active = sum(f > 0 for f in triple)
        n_buffers = active - 1 + (periodic and active > 1)
        cells_left = depth - n_buffers * buffer
        if cells_left < active:
            with pytest.raises(ValueError, match=r"dataset\.spatial\.buffer.*dataset\.fractions"):
                slab_layout(depth, fractions, buffer, periodic)
            n_raised += 1
            continue
        layout = slab_layout(depth, fractions, buffer, periodic)
        cells = {k: np.arange(*layout.ranges[k]) for k in SPLITS}
        for start, stop in layout.ranges.values():
            assert 0 <= start <= stop <= depth
        owner = np.zeros(depth, dtype=int)
        for c in cells.values():
            owner[c] += 1
        assert owner.max() <= 1  # disjoint
        _assert_separated(cells, depth, buffer, periodic)
        sizes = np.array([cells[k].size for k in SPLITS])
        assert sizes.sum() == cells_left  # only the buffers are left unused
        quota = np.array(triple) * cells_left
        assert np.all((sizes > 0) == (quota > 0))
        if np.all(quota[quota > 0] >= 1):
            assert np.all(np.abs(sizes - quota) < 1), (depth, triple, buffer, sizes)
        else:
            assert np.all(np.abs(sizes - quota) < 2), (depth, triple, buffer, sizes)
        expected = [next((k for k in SPLITS if i in cells[k]), None) for i in range(depth)]
        assert [layout.split_of(i) for i in range(depth)] == expected
        n_checked += 1
    assert n_checked > 3000 and n_raised > 20


def test_layout_order_and_example():
    layout = slab_layout(30, {"train": 0.6, "val": 0.2, "test": 0.2}, buffer=2, periodic=True)
    # 30 - 3 buffers x 2 = 24 cells -> 14.4 / 4.8 / 4.8 -> 14 / 5 / 5; open box: 26 -> 16 / 5 / 5
    assert layout.ranges == {"train": (0, 14), "val": (16, 21), "test": (23, 28)}
    assert layout.split_of(15) is None and layout.split_of(29) is None
    open_box = slab_layout(30, {"train": 0.6, "val": 0.2, "test": 0.2}, buffer=2, periodic=False)
    assert open_box.ranges == {"train": (0, 16), "val": (18, 23), "test": (25, 30)}
    with pytest.raises(IndexError):
        layout.split_of(30)


@pytest.mark.parametrize(
    ("fractions", "buffer", "message"),
    [
        ({"train": 0.8, "val": 0.3, "test": 0.1}, 1, r"dataset\.fractions.*sum to 1"),
        ({"train": 0.9, "valid": 0.1}, 1, r"dataset\.fractions.*valid"),
        ({"train": 1.1, "val": -0.1}, 1, r"dataset\.fractions.*'val'"),
        ({"train": 0.8, "val": 0.1, "test": 0.1}, -1, r"dataset\.spatial\.buffer"),
    ],
)
def test_bad_layout_options_are_named(fractions, buffer, message):
    with pytest.raises(ValueError, match=message):
        slab_layout(40, fractions, buffer)


def _cubes(task: str, n: int = 3, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *SHAPE, 2)).astype(np.float32)
    if task == "classification":
        y = rng.integers(0, 4, size=n)
    elif task == "regression":
        y = rng.normal(size=(n, 2)).astype(np.float32)
    else:
        y = rng.normal(size=(n, *SHAPE, 3)).astype(np.float32)
    return Dataset(
        x=x,
        y=y,
        meta={"sample_id": np.arange(10, 10 + n), "snapshot": rng.uniform(size=n)},
        extra={"velocity": rng.normal(size=(n, 3))},
        attrs={
            "study": "unit",
            "task": task,
            "target_names": ["a", "b"] if task == "regression" else [],
            "class_names": ["c0", "c1", "c2", "c3"] if task == "classification" else [],
            "config_hash": "0" * 16,
            "code_version": "test",
            "created_by": "pytest",
            "versions": {"numpy": np.__version__},
        },
    )


def _reference_image(cube: np.ndarray, axis: int, first: int, depth: int) -> np.ndarray:
    """Mean over cells ``first .. first+depth-1`` along ``axis`` of one cube, by hand."""
    total = np.zeros([n for i, n in enumerate(cube.shape[:3]) if i != axis] + [cube.shape[3]])
    for cell in range(first, first + depth):
        index = [slice(None)] * 3
        index[axis] = cell
        total += cube[tuple(index)]
    return total / depth


FRACTIONS = {"train": 0.6, "val": 0.2, "test": 0.2}


@pytest.mark.parametrize("train_on_projections", [False, True])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_spatial_split_samples_stay_in_their_slabs(axis, train_on_projections):
    ds = _cubes("classification")
    buffer, tile, p = 2, 5, 2
    out = spatial_split(
        ds, axis=axis, buffer=buffer, fractions=FRACTIONS, tile=tile, projection_depth=p,
        train_on_projections=train_on_projections,
    )  # fmt: skip
    depth = SHAPE[axis]
    ranges = slab_layout(depth, FRACTIONS, buffer).ranges
    height, width = (n for i, n in enumerate(SHAPE) if i != axis)
    rows, cols = height // tile, width // tile
    cells = {}
    for name, part in out.items():
        check_dataset(part, name)
        m = part.meta
        first, last = m["slice_index"], m["slice_index"] + m["slice_depth"] - 1
        start, stop = ranges[name]
        assert np.all((first >= start) & (last < stop)), name
        spans = [np.arange(a, b + 1) for a, b in zip(first, last, strict=True)]
        cells[name] = np.unique(np.concatenate(spans))
        n_slices = stop - start
        n_proj = (n_slices // p) if name == "test" or train_on_projections else 0
        assert n_proj > 0 or name != "train" or not train_on_projections
        assert len(part) == len(ds) * (n_slices + n_proj) * rows * cols
        assert part.x.shape[1:] == (tile, tile, 2) and part.x.dtype == np.float32
        np.testing.assert_array_equal(m["sample_id"], np.arange(len(part)))
        assert m["sample_id"].dtype == np.int64
        np.testing.assert_array_equal(part.y, ds.y[m["cube_index"]])
        np.testing.assert_array_equal(m["snapshot"], ds.meta["snapshot"][m["cube_index"]])
        np.testing.assert_array_equal(m["cube_sample_id"], ds.meta["sample_id"][m["cube_index"]])
        assert part.extra == {}
        order = np.lexsort(
            [m["tile_col"], m["tile_row"], m["slice_index"], m["cube_index"], m["slice_depth"]]
        )
        np.testing.assert_array_equal(order, np.arange(len(part)))  # (cube, slice, tile) order
        images = set(zip(m["cube_index"], first, m["slice_depth"], strict=True))
        for cube, cell, depth_ in images:
            sel = (m["cube_index"] == cube) & (first == cell) & (m["slice_depth"] == depth_)
            grid = set(zip(m["tile_row"][sel].tolist(), m["tile_col"][sel].tolist(), strict=True))
            assert grid == set(itertools.product(range(rows), range(cols)))
        for i in range(len(part)):
            ref = _reference_image(ds.x[m["cube_index"][i]], axis, first[i], m["slice_depth"][i])
            r, c = m["tile_row"][i], m["tile_col"][i]
            ref = ref[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile]
            if m["slice_depth"][i] == 1:
                np.testing.assert_array_equal(part.x[i], ref)
            else:
                np.testing.assert_allclose(part.x[i], ref, rtol=1e-6, atol=1e-6)
    assert cells["test"].size == ranges["test"][1] - ranges["test"][0]
    _assert_separated(cells, depth, buffer, periodic=True)
    description = out["train"].attrs["spatial_split"]
    assert json.loads(json.dumps(description))["ranges"]["val"] == list(ranges["val"])
    assert description["axis"] == axis and description["buffer"] == buffer
    assert description["train_on_projections"] == train_on_projections
    assert out["test"].attrs["study"] == "unit"


def test_whole_slices_and_regression_rows():
    ds = _cubes("regression")
    out = spatial_split(ds, axis=2, buffer=1, fractions=FRACTIONS, periodic=False)
    ranges = slab_layout(SHAPE[2], FRACTIONS, 1, periodic=False).ranges
    for name, part in out.items():
        check_dataset(part, name)
        assert part.x.shape == (3 * (ranges[name][1] - ranges[name][0]), 20, 16, 2)
        np.testing.assert_array_equal(part.y, ds.y[part.meta["cube_index"]])
        assert set(part.meta["tile_row"]) == set(part.meta["tile_col"]) == {0}
        i = len(part) - 1  # last slice of the last cube
        np.testing.assert_array_equal(part.x[i], ds.x[2, :, :, ranges[name][1] - 1])


def test_image2image_targets_are_cut_like_the_images():
    ds = _cubes("image2image")
    out = spatial_split(ds, axis=1, buffer=2, fractions=FRACTIONS, tile=8, projection_depth=2)
    for name, part in out.items():
        check_dataset(part, name)
        assert part.y.shape == (*part.x.shape[:3], 3)
        m = part.meta
        for i in (0, len(part) // 2, len(part) - 1):
            for row, col in [(0, 0), (3, 5), (7, 7)]:
                cube, cell = m["cube_index"][i], m["slice_index"][i]
                z, x = m["tile_row"][i] * 8 + row, m["tile_col"][i] * 8 + col
                depth = m["slice_depth"][i]
                np.testing.assert_allclose(
                    part.y[i, row, col], ds.y[cube, z, cell : cell + depth, x].mean(axis=0)
                )
                np.testing.assert_allclose(
                    part.x[i, row, col], ds.x[cube, z, cell : cell + depth, x].mean(axis=0)
                )
    assert 2 in out["test"].meta["slice_depth"]


@pytest.mark.parametrize("kind", ["slices", "plane_tiles"])
def test_projections_of_log10_maps_are_log10_of_the_mean_linear_density(kind):
    """A column density averages the density, not its logarithm (geometric mean)."""
    ds = _cubes("image2image")
    ds.attrs.update(input_name="log10 rho", target_names=["log10 Ec"])
    axis, p = (0, 4) if kind == "slices" else (2, 4)
    fractions = {"train": 0.4, "val": 0.2, "test": 0.4}
    test = spatial_split(
        ds, axis=axis, buffer=1, fractions=fractions, projection_depth=p, tile=4, samples=kind
    )["test"]
    m = test.meta
    projected = np.flatnonzero(m["slice_depth"] == p)
    assert projected.size
    for i in projected[:: max(1, projected.size // 7)]:
        cube, first = m["cube_index"][i], m["slice_index"][i]
        r, c = m["tile_row"][i] * 4, m["tile_col"][i] * 4
        if kind == "slices":
            x_cells, y_cells = ds.x[cube, first : first + p], ds.y[cube, first : first + p]
            x_cells, y_cells = x_cells[:, r : r + 4, c : c + 4], y_cells[:, r : r + 4, c : c + 4]
        else:
            start = m["cut_start"][i]
            x_cells = ds.x[cube, first : first + p, r : r + 4, start : start + 4]
            y_cells = ds.y[cube, first : first + p, r : r + 4, start : start + 4]
        linear = np.log10(np.mean(10.0 ** x_cells.astype(np.float64), axis=0))
        np.testing.assert_allclose(test.x[i], linear, rtol=1e-5, atol=1e-5)
        geometric = x_cells.mean(axis=0)
        assert np.all(test.x[i] >= geometric - 1e-5)  # AM >= GM, strictly for varying maps
        assert np.abs(test.x[i] - geometric).max() > 0.05
        np.testing.assert_allclose(
            test.y[i], np.log10(np.mean(10.0 ** y_cells.astype(np.float64), axis=0)), rtol=1e-5,
            atol=1e-5,
        )  # fmt: skip


def test_zero_fraction_split_is_empty_and_split_is_deterministic():
    ds = _cubes("classification")
    fractions = {"train": 0.7, "val": 0.0, "test": 0.3}
    one = spatial_split(ds, axis=0, buffer=3, fractions=fractions, tile=4)
    two = spatial_split(ds, axis=0, buffer=3, fractions=fractions, tile=4)
    assert one["val"].x.shape == (0, 4, 4, 2) and one["val"].y.shape == (0,)
    check_dataset(one["val"], "val")
    for name in SPLITS:
        np.testing.assert_array_equal(one[name].x, two[name].x)
        for key, values in one[name].meta.items():
            np.testing.assert_array_equal(values, two[name].meta[key])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"axis": 3}, r"dataset\.spatial\.axis"),
        ({"axis": True}, r"dataset\.spatial\.axis"),
        ({"axis": 1.0}, r"dataset\.spatial\.axis"),
        ({"tile": 17}, r"dataset\.spatial\.tile"),  # axis 0 gives 16 x 24 slices
        ({"tile": 0}, r"dataset\.spatial\.tile"),
        ({"projection_depth": 1}, r"dataset\.spatial\.projection_depth"),
        ({"projection_depth": 5}, r"dataset\.spatial\.projection_depth.*test slab"),
        ({"buffer": 6}, r"dataset\.spatial\.buffer"),
        ({"fractions": {"train": 1.0, "val": 0.5}}, r"dataset\.fractions"),
    ],
)
def test_bad_spatial_options_are_named(kwargs, message):
    options = {"axis": 0, "buffer": 2, "fractions": FRACTIONS, **kwargs}
    with pytest.raises(ValueError, match=message):
        spatial_split(_cubes("classification"), **options)


def test_non_cube_samples_are_rejected():
    ds = _cubes("classification")
    ds.x = ds.x[:, 0]
    with pytest.raises(ValueError, match=r"'x' of cubes"):
        spatial_split(ds, axis=0, buffer=1, fractions=FRACTIONS)


def _positional_cubes(shape: tuple[int, int, int], n: int = 2) -> Dataset:
    """Cubes whose every cell value encodes its own (cube, z, y, x) position."""
    nz, ny, nx = shape
    grid = np.indices((n, nz, ny, nx)).astype(np.float32)
    x = (grid[0] * 1e6 + grid[1] * 1e4 + grid[2] * 1e2 + grid[3])[..., None]
    return Dataset(
        x=x.astype(np.float32), y=np.arange(n), meta={"snapshot": np.arange(n)},
        attrs={"task": "classification"},
    )  # fmt: skip


#: Plane tiles per split of two 64 x 80 planes cut with tile 8, buffer 4 and FRACTIONS, by hand:
#: the cut axis keeps depth - 4 * (3 buffers if periodic else 2) cells, shared 0.6 / 0.2 / 0.2
#: by largest remainder; a slab of c cells holds (c // 8) tiles along the axis times (the other
#: side // 8) across, in each of the two cubes.
PLANE_TILES = {
    # axis 1: depth 64, 80 // 8 = 10 tiles across
    (1, True): {"train": 60, "val": 20, "test": 20},  # 52 cells: 31 / 11 / 10 -> 3 / 1 / 1
    (1, False): {"train": 80, "val": 20, "test": 20},  # 56 cells: 34 / 11 / 11 -> 4 / 1 / 1
    # axis 2: depth 80, 64 // 8 = 8 tiles across
    (2, True): {"train": 80, "val": 16, "test": 16},  # 68 cells: 41 / 14 / 13 -> 5 / 1 / 1
    (2, False): {"train": 80, "val": 16, "test": 16},  # 72 cells: 43 / 15 / 14 -> 5 / 1 / 1
}


@pytest.mark.parametrize("axis", [1, 2])
@pytest.mark.parametrize("periodic", [True, False])
def test_plane_tiles_of_a_2d_mesh_stay_inside_their_slabs(axis, periodic):
    ds = _positional_cubes((1, 64, 80))
    depth = ds.x.shape[1 + axis]
    parts = spatial_split(
        ds, axis=axis, buffer=4, periodic=periodic, tile=8, fractions=FRACTIONS
    )  # samples auto: a 2D mesh gives plane tiles
    assert all(p.attrs["spatial_split"]["samples"] == "plane_tiles" for p in parts.values())
    cells = {}
    for name, part in parts.items():
        assert part.x.shape[1:] == (8, 8, 1)
        starts = part.meta["cut_start"]
        cells[name] = np.concatenate([np.arange(s, s + 8) for s in starts])
        # every tile is the cube's own cells at its recorded position
        for i in range(len(part)):
            along = slice(starts[i], starts[i] + 8)
            other = part.meta["tile_row" if axis == 2 else "tile_col"][i] * 8
            across = slice(other, other + 8)
            cube = ds.x[part.meta["cube_index"][i], 0]
            expected = cube[along, across] if axis == 1 else cube[across, along]
            np.testing.assert_array_equal(part.x[i], expected)
    _assert_separated(cells, depth, 4, periodic)
    assert {name: len(part) for name, part in parts.items()} == PLANE_TILES[axis, periodic]


def test_plane_tiles_of_3d_cubes_project_along_z():
    ds = _positional_cubes((4, 32, 32), n=1)
    parts = spatial_split(
        ds, axis=2, buffer=2, tile=4, projection_depth=2, samples="plane_tiles",
        fractions=FRACTIONS,
    )  # fmt: skip
    test = parts["test"]
    depths = test.meta["slice_depth"]
    assert set(depths.tolist()) == {1, 2}
    projected = test.x[depths == 2]
    single = test.x[depths == 1]
    assert len(single) == 2 * len(projected)  # 4 planes -> 2 projections of 2
    first = test.meta["cut_start"][depths == 2][0]
    plane_mean = ds.x[0, 0:2, 0:4, first : first + 4].mean(axis=0)
    np.testing.assert_allclose(projected[0], plane_mean)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"axis": 0, "tile": 8}, "axis=0"),
        ({"axis": 1, "tile": None}, "need a tile size"),
        ({"axis": 1, "tile": 8, "projection_depth": 2}, "for a 2D mesh"),
        ({"axis": 1, "tile": 20}, "deeper than the val slab"),
    ],
)
def test_plane_tiles_refuse_what_cannot_work_naming_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        spatial_split(_positional_cubes((1, 64, 64)), buffer=4, fractions=FRACTIONS, **options)


def test_slices_of_a_2d_mesh_point_to_plane_tiles():
    with pytest.raises(ValueError, match="plane tiles"):
        spatial_split(
            _positional_cubes((1, 64, 64)),
            axis=1,
            buffer=4,
            tile=16,
            samples="slices",
            fractions=FRACTIONS,
        )


# ---- exact layouts, boundaries and messages (mutation testing, docs/testing.md) ----


def test_layout_describes_itself_for_the_dataset_attributes():
    layout = slab_layout(30, FRACTIONS, buffer=2, periodic=1)
    assert layout.periodic is True
    assert layout.as_dict() == {
        "depth": 30,
        "buffer": 2,
        "periodic": True,
        "ranges": {"train": [0, 14], "val": [16, 21], "test": [23, 28]},
    }
    open_box = slab_layout(30, FRACTIONS, buffer=2, periodic=False).as_dict()
    assert open_box["periodic"] is False and open_box["ranges"]["train"] == [0, 16]
    for cell in (30, -1):
        with pytest.raises(IndexError, match=rf"^cell {cell} is outside the axis \[0, 30\)$"):
            layout.split_of(cell)


@pytest.mark.parametrize("buffer", [1.5, True, "2"])
def test_buffer_must_be_a_true_integer(buffer):
    with pytest.raises(ValueError, match=r"^dataset\.spatial\.buffer must be an integer >= 0, got"):
        slab_layout(30, FRACTIONS, buffer)


def test_layout_edge_cases_by_hand():
    assert slab_layout(30, FRACTIONS, np.int64(2)).ranges["val"] == (16, 21)
    # one cell is enough for one split
    assert slab_layout(1, {"train": 1.0}, 0).ranges == {
        "train": (0, 1), "val": (1, 1), "test": (1, 1),
    }  # fmt: skip
    with pytest.raises(
        ValueError, match=r"^the cube depth along dataset\.spatial\.axis must be an integer >= 1"
    ):
        slab_layout(0, {"train": 1.0}, 0)
    # a split left out of dataset.fractions is empty: 20 - 2 buffers = 16 cells -> 12 / 0 / 4
    assert slab_layout(20, {"train": 0.75, "test": 0.25}, 2).ranges == {
        "train": (0, 12), "val": (12, 12), "test": (14, 18),
    }  # fmt: skip


def test_too_shallow_axis_names_the_depth_it_needs():
    # 3 splits and 3 buffers of 3 cells need 3 + 9 = 12 cells
    slab_layout(12, FRACTIONS, 3)
    with pytest.raises(
        ValueError,
        match=r"^dataset\.spatial\.buffer=3 leaves no room: 3 non-empty splits of "
        r"dataset\.fractions and 3 buffers need a depth of at least 12 cells, but the cut axis "
        r"has 11; lower dataset\.spatial\.buffer or give fewer splits",
    ):
        slab_layout(11, FRACTIONS, 3)


@pytest.mark.parametrize(
    ("triple", "buffer", "periodic", "ranges"),
    [
        # 8 - 3 buffers = 5 cells, quotas 3 / 1.95 / 0.05 -> floors 3 / 1 / 0, the left-over cell
        # to val (remainder 0.95): 3 / 2 / 0; test then takes a cell from val, 0.05 above its
        # quota (train is exactly at its quota): 3 / 1 / 1
        ((0.6, 0.39, 0.01), 1, True, {"train": (0, 3), "val": (4, 5), "test": (6, 7)}),
        # 8 - 2 buffers of 2 = 4 cells, quotas 0.04 / 2 / 1.96 -> 0 / 2 / 1, left-over to test:
        # 0 / 2 / 2; train takes a cell from test (0.04 above its quota, val 0): 1 / 2 / 1
        ((0.01, 0.5, 0.49), 2, False, {"train": (0, 1), "val": (3, 5), "test": (7, 8)}),
    ],
)
def test_an_empty_split_takes_a_cell_from_the_one_furthest_above_its_quota(
    triple, buffer, periodic, ranges
):
    fractions = dict(zip(SPLITS, triple, strict=True))
    assert slab_layout(8, fractions, buffer, periodic).ranges == ranges


def test_sample_kind_reads_auto_and_names_the_option():
    assert sample_kind((20, 16, 24), None) == sample_kind((20, 16, 24), "auto") == "slices"
    assert sample_kind((1, 64, 64), None) == sample_kind((1, 64, 64), "auto") == "plane_tiles"
    assert sample_kind((1, 64, 64), "slices") == "slices"
    assert sample_kind((20, 16, 24), "plane_tiles") == "plane_tiles"
    with pytest.raises(
        ValueError,
        match=r"^dataset\.spatial\.samples must be one of \('slices', 'plane_tiles'\) or auto$",
    ):
        sample_kind((20, 16, 24), "tiles")
    split = spatial_split(_cubes("classification", n=1), axis=0, buffer=2, fractions=FRACTIONS,
                          samples="auto", tile=8)  # fmt: skip
    assert "samples" not in split["test"].attrs["spatial_split"]  # slices


def test_split_description_is_exact_and_projections_are_test_only_by_default():
    ds = _cubes("classification")
    out = spatial_split(ds, axis=0, buffer=2, fractions=FRACTIONS, tile=8, projection_depth=2)
    # depth 20 - 3 buffers of 2 = 14 cells: 8.4 / 2.8 / 2.8 -> 8 / 3 / 3
    ranges = {"train": [0, 8], "val": [10, 13], "test": [15, 18]}
    expected = {
        "axis": 0, "tile": 8, "projection_depth": 2, "train_on_projections": False,
        "depth": 20, "buffer": 2, "periodic": True, "ranges": ranges,
    }  # fmt: skip
    for name in SPLITS:
        assert out[name].attrs["spatial_split"] == expected
    assert set(out["train"].meta["slice_depth"].tolist()) == {1}  # no projections...
    assert set(out["val"].meta["slice_depth"].tolist()) == {1}
    assert set(out["test"].meta["slice_depth"].tolist()) == {1, 2}  # ... but in the test split
    whole = spatial_split(ds, axis=2, buffer=1, fractions=FRACTIONS, periodic=False)
    assert whole["val"].attrs["spatial_split"] | {"ranges": None} == {
        "axis": 2, "tile": None, "projection_depth": None, "train_on_projections": False,
        "depth": 24, "buffer": 1, "periodic": False, "ranges": None,
    }  # fmt: skip
    planes = spatial_split(
        _positional_cubes((1, 64, 64)), axis=1, buffer=4, tile=8, fractions=FRACTIONS
    )["train"].attrs["spatial_split"]
    assert planes["samples"] == "plane_tiles" and planes["tile"] == 8
    assert planes["projection_depth"] is None and planes["periodic"] is True


def test_split_logs_what_it_cut(caplog):
    with caplog.at_level(logging.INFO, logger="sim2model.data.slabs"):
        spatial_split(_cubes("classification"), axis=0, buffer=2, fractions=FRACTIONS, tile=8)
    # 16 x 24 slices hold 2 x 3 tiles of 8; 3 cubes
    assert [r.getMessage() for r in caplog.records if r.name == "sim2model.data.slabs"] == [
        "train: 144 slices from cells [0, 8) of 3 cubes",
        "val: 54 slices from cells [10, 13) of 3 cubes",
        "test: 54 slices from cells [15, 18) of 3 cubes",
    ]


def _column(values: np.ndarray, input_name: str | None = None) -> Dataset:
    """One cube of 12 z cells of 2 x 2 pixels holding ``values`` along z."""
    x = np.broadcast_to(np.asarray(values, np.float32)[None, :, None, None, None], (1, 12, 2, 2, 1))
    attrs = {"task": "classification"} | ({"input_name": input_name} if input_name else {})
    return Dataset(x=x.copy(), y=np.array([0]), attrs=attrs)


#: 12 cells, one buffer, open box: 11 cells 5.5 / 0 / 5.5 -> train [0, 6), test [7, 12); the one
#: projection of depth 4 of the test slab averages cells 7 .. 10
HALVES = {"fractions": {"train": 0.5, "val": 0.0, "test": 0.5}, "buffer": 1, "periodic": False}


def test_projections_are_summed_in_float64():
    values = np.ones(12)
    values[7] = 2.0**24  # float32 sums lose the ones next to 2^24 (its spacing is 2)
    test = spatial_split(_column(values), axis=0, projection_depth=4, **HALVES)["test"]
    projected = test.x[test.meta["slice_depth"] == 4]
    assert projected.shape == (1, 2, 2, 1) and projected.dtype == np.float32
    exact = (2.0**24 + 3) / 4  # 4194304.75, nearest float32 4194305
    np.testing.assert_array_equal(projected, np.float32(exact))


def test_log10_projections_of_large_exponents_stay_finite_float32():
    """log10 maps of quantities beyond float32's range (1e40 erg) average in float64."""
    values = 40.0 + 0.25 * np.arange(12)
    test = spatial_split(
        _column(values, "log10 E"), axis=0, projection_depth=4, **HALVES
    )["test"]  # fmt: skip
    assert test.x.dtype == np.float32
    projected = test.x[test.meta["slice_depth"] == 4]
    cells = values[7:11].astype(np.float32).astype(np.float64)
    expected = np.log10(np.mean(10.0**cells))  # log10 of the mean of 1e41.75 .. 1e42.5:
    # 41.75 + log10((1 + 10^0.25 + 10^0.5 + 10^0.75) / 4) = 41.75 + log10(11.5632 / 4)
    assert expected == pytest.approx(42.2110, abs=1e-4)
    np.testing.assert_allclose(projected, expected, rtol=1e-7)


def test_image2image_targets_must_be_matching_cubes():
    ds = _cubes("image2image")
    ds.y = ds.y[:, :, :8]
    with pytest.raises(
        ValueError,
        match=r"^image2image target cubes 'y' \(3, 20, 8, 24, 3\) do not match the cubes 'x' "
        r"\(3, 20, 16, 24, 2\)$",
    ):
        spatial_split(ds, axis=0, buffer=2, fractions=FRACTIONS)
    rows = _cubes("regression")
    rows.attrs["task"] = "image2image"
    with pytest.raises(
        ValueError, match=r"^image2image 'y' must be cubes \(N, Z, Y, X, C\), got \(3, 2\)$"
    ):
        spatial_split(rows, axis=0, buffer=2, fractions=FRACTIONS)


def test_tiles_from_one_cell_to_the_whole_slice_side():
    ds = _positional_cubes((12, 3, 4), n=1)
    ones = spatial_split(ds, axis=0, buffer=1, fractions=FRACTIONS, tile=1)["test"]
    assert ones.x.shape[1:] == (1, 1, 1)
    m = ones.meta
    cells = ds.x[0, m["slice_index"], m["tile_row"], m["tile_col"]]
    np.testing.assert_array_equal(ones.x[:, 0, 0], cells)
    side = spatial_split(_cubes("classification"), axis=0, buffer=2, fractions=FRACTIONS, tile=16)
    assert side["train"].x.shape[1:] == (16, 16, 2)  # 16 x 24 slices: one 16-cell tile


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tile": 17}, r"^dataset\.spatial\.tile=17 is larger than the 16x24 slices$"),
        ({"axis": 1, "tile": 21}, r"^dataset\.spatial\.tile=21 is larger than the 20x24 slices$"),
        ({"tile": 0}, r"^dataset\.spatial\.tile must be an integer >= 1, got 0$"),
        (
            {"projection_depth": 1},
            r"^dataset\.spatial\.projection_depth must be an integer >= 2, got 1$",
        ),
        (
            {"projection_depth": 5},  # test slab of 20 - 6 cells: 8 / 3 / 3
            r"^dataset\.spatial\.projection_depth=5 is deeper than the test slab \(3 cells of "
            r"20\); lower it or raise the test fraction in dataset\.fractions$",
        ),
    ],
    ids=["tile", "tile-axis1", "tile-0", "projection-1", "projection-deep"],
)
def test_slice_option_errors_in_full(options, message):
    with pytest.raises(ValueError, match=message):
        spatial_split(_cubes("classification"), **{"axis": 0, "buffer": 2, **options},
                      fractions=FRACTIONS)  # fmt: skip


def test_slices_of_a_2d_mesh_message_in_full():
    with pytest.raises(
        ValueError,
        match=r"^dataset\.spatial\.tile=16 is larger than the 1x64 slices \(a 2D mesh: use plane "
        r"tiles, dataset\.spatial\.samples: auto\)$",
    ):
        spatial_split(_positional_cubes((1, 64, 64)), axis=1, buffer=4, tile=16,
                      samples="slices", fractions=FRACTIONS)  # fmt: skip


@pytest.mark.parametrize(
    ("shape", "options", "message"),
    [
        (
            (1, 64, 64), {"axis": 0, "tile": 8},
            r"^dataset\.spatial\.axis=0 \(z\) is perpendicular to the \(Y, X\) planes that plane "
            r"tiles are cut from \(a 2D mesh\): cut along 1 \(y\) or 2 \(x\)$",
        ),
        (
            (4, 32, 32), {"axis": 0, "tile": 8},
            r"^dataset\.spatial\.axis=0 \(z\) is perpendicular to the \(Y, X\) planes that plane "
            r"tiles are cut from: cut along 1 \(y\) or 2 \(x\)$",
        ),
        (
            (1, 64, 64), {"axis": 1, "tile": None},
            r"^dataset\.spatial\.tile: plane tiles need a tile size \(cells per side\)$",
        ),
        (
            (1, 64, 64), {"axis": 1, "tile": 8, "projection_depth": 2},
            r"^dataset\.spatial\.projection_depth=2: plane tiles are projected along z, which has "
            r"1 cell\(s\); set it to null for a 2D mesh$",
        ),
        (
            (4, 32, 32), {"axis": 1, "tile": 4, "projection_depth": 5},
            r"^dataset\.spatial\.projection_depth=5: plane tiles are projected along z, which has "
            r"4 cell\(s\); set it to null$",
        ),
        (
            # 64 - 3 buffers of 4 = 52 cells: 31 / 11 / 10, val (35, 46)
            (1, 64, 64), {"axis": 1, "tile": 20},
            r"^dataset\.spatial\.tile=20 is deeper than the val slab \(11 cells of 64 along the "
            r"cut axis\); lower the tile or the buffer, or raise that split's dataset\.fractions "
            r"entry$",
        ),
    ],
    ids=["axis0-2d", "axis0-3d", "no-tile", "projection-2d", "projection-3d", "tile-deep"],
)  # fmt: skip
def test_plane_tile_errors_in_full(shape, options, message):
    with pytest.raises(ValueError, match=message):
        spatial_split(_positional_cubes(shape), buffer=4, fractions=FRACTIONS,
                      samples="plane_tiles", **options)  # fmt: skip


def test_plane_tiles_allow_an_empty_split_and_a_projection_of_all_z_planes():
    fractions = {"train": 0.8, "val": 0.0, "test": 0.2}
    # 64 - 2 buffers of 4 = 56 cells: 45 / 0 / 11 -> 5 / 0 / 1 tiles along, 8 across, 2 cubes
    parts = spatial_split(
        _positional_cubes((1, 64, 64)), axis=1, buffer=4, tile=8, fractions=fractions
    )  # fmt: skip
    assert {name: len(part) for name, part in parts.items()} == {"train": 80, "val": 0, "test": 16}
    ds = _positional_cubes((4, 32, 32), n=1)
    test = spatial_split(
        ds, axis=2, buffer=2, tile=4, projection_depth=4, samples="plane_tiles",
        fractions=FRACTIONS,
    )["test"]  # fmt: skip
    deep = np.flatnonzero(test.meta["slice_depth"] == 4)
    assert deep.size == np.count_nonzero(test.meta["slice_depth"] == 1) // 4 > 0
    i = deep[0]
    r, start = test.meta["tile_row"][i] * 4, test.meta["cut_start"][i]
    np.testing.assert_allclose(test.x[i], ds.x[0, :, r : r + 4, start : start + 4].mean(axis=0))


def test_cube_meta_clash_is_named():
    ds = _cubes("classification")
    ds.meta["cube_sample_id"] = ds.meta["sample_id"] + 1
    with pytest.raises(
        ValueError,
        match=r"^cube meta columns 'sample_id' and 'cube_sample_id' would both be "
        r"'cube_sample_id'$",
    ):
        spatial_split(ds, axis=0, buffer=2, fractions=FRACTIONS)


def test_remainder_ties_go_to_the_earlier_split():
    """0.7 / 0.2 / 0.1 of 8 cells: quotas 5.6 / 1.6 / 0.8, floors 5 / 1 / 0; the two left-over
    cells go to test (0.8) and then, of the tied 0.6 remainders, to train: 6 / 1 / 1. In floats
    5.6 - 5 < 0.6 < 1.6 - 1, and val got the cell (5 / 2 / 1) until the remainders were rounded."""
    fractions = {"train": 0.7, "val": 0.2, "test": 0.1}
    assert slab_layout(8, fractions, 0).ranges == {"train": (0, 6), "val": (6, 7), "test": (7, 8)}
