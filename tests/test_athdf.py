"""Athena++ .athdf reader and writer: exact numbers from the real fixture run, loud errors."""

import json
import re
import shutil
import time

import h5py
import numpy as np
import pytest

from sim2model.studies.turbulence.athdf import (
    DERIVED_VARIABLES,
    AthdfError,
    read_athdf,
    read_athdf_header,
    read_athdf_variable,
)
from sim2model.studies.turbulence.athdf_write import athena_block_order, write_athdf

FILES = [f"turb_mhd.out{k}.athdf" for k in ("2.00000", "2.00001", "2.00002", "2.00003")] + [
    f"turb_mhd.out{k}.athdf" for k in ("3.00000", "3.00001", "4.00000", "4.00001")
]
SNAPSHOT_T03 = (
    "turb_mhd.out2.00003.athdf",
    "turb_mhd.out3.00001.athdf",
    "turb_mhd.out4.00001.athdf",
)


@pytest.fixture
def athena_dir(shared_fixtures):
    return shared_fixtures / "athena_turb_mhd"


@pytest.fixture
def expected(shared_fixtures):
    return json.loads((shared_fixtures / "EXPECTED.json").read_text())["athena_turb_mhd"]


@pytest.fixture
def copy_of(athena_dir, tmp_path):
    """Copy a fixture file into tmp_path (for editing) and return the copy's path."""

    def copy(name="turb_mhd.out2.00001.athdf"):
        return shutil.copy(athena_dir / name, tmp_path / name)

    return copy


def test_every_fixture_file_has_expected_numbers(athena_dir, expected):
    assert sorted(p.name for p in athena_dir.glob("*.athdf")) == sorted(FILES)
    assert sorted(k for k in expected if k.endswith(".athdf")) == sorted(FILES)


@pytest.mark.parametrize("name", FILES)
def test_header_matches_expected(athena_dir, expected, name):
    exp = expected[name]
    header = read_athdf_header(athena_dir / name)
    assert header.path == str(athena_dir / name)
    assert header.time == exp["time"] and isinstance(header.time, float)
    # Time has the data precision: the float32 value widened exactly, not the scheduled time
    assert header.data_dtype == exp["time_attr_dtype"] == exp["coordinate_dtype"]
    assert float(np.dtype(header.data_dtype).type(header.time)) == header.time
    assert header.cycle == exp["num_cycles"] and isinstance(header.cycle, int)
    assert header.shape_zyx == tuple(exp["global_shape_zyx"])
    assert header.root_grid_size == tuple(exp["root_grid_size_x1x2x3"])
    assert header.block_size == tuple(exp["meshblock_size_x1x2x3"])
    assert header.num_blocks == exp["num_meshblocks"]
    assert [list(loc) for loc in header.logical_locations] == exp[
        "logical_locations_lx1lx2lx3_in_file_order"
    ]
    assert header.variables == tuple(exp["variables"])
    assert header.dataset_of == {
        v["name"]: (v["dataset"], v["index_in_dataset"]) for v in exp["variable_to_dataset"]
    }
    datasets = list(dict.fromkeys(d for d, _ in header.dataset_of.values()))
    assert datasets == exp["dataset_names"]
    assert [sum(d == ds for d, _ in header.dataset_of.values()) for ds in datasets] == exp[
        "num_variables_per_dataset"
    ]
    assert set(exp["data_dtype"].values()) == {header.data_dtype}
    for axis, key in enumerate(("root_grid_x1", "root_grid_x2", "root_grid_x3")):
        assert list(header.domain[axis]) + [1.0] == exp[key]
        lo, hi = header.domain[axis]
        assert header.cell_size[axis] == (hi - lo) / header.root_grid_size[axis] == 1 / 32
    assert header.coordinates == "cartesian"


def _stats(values):
    a = values.astype(np.float64)
    return {"mean": a.mean(), "min": a.min(), "max": a.max(), "std": a.std()}


def _assert_stats(values, exp):
    got = _stats(values)
    for key in ("min", "max"):
        assert got[key] == exp[key]
    # float64 sums in another order differ by ~1e-16 of the scale: absolute floor for ~0 means
    scale = max(exp["std"], abs(exp["mean"]), 1.0)
    assert got["mean"] == pytest.approx(exp["mean"], rel=1e-12, abs=1e-14 * scale)
    assert got["std"] == pytest.approx(exp["std"], rel=1e-12, abs=1e-14 * scale)


@pytest.mark.parametrize("name", FILES)
def test_values_match_expected(athena_dir, expected, name):
    exp = expected[name]
    header, arrays = read_athdf(athena_dir / name)
    assert list(arrays) == exp["variables"]
    for v in exp["variable_to_dataset"]:
        assert arrays[v["name"]].dtype == np.dtype(v["dtype"])
        assert arrays[v["name"]].shape == tuple(exp["global_shape_zyx"])
    _assert_stats(arrays["rho"], exp["rho"])
    for var in ("vel1", "Bcc2"):
        if f"{var}_stats" in exp:
            _assert_stats(arrays[var], exp[f"{var}_stats"])
    rho = arrays["rho"].astype(np.float64)
    checks = exp["rho_order_sensitive_checks"]
    nz, ny, nx = rho.shape
    assert rho[:, :, : nx // 2].mean() == pytest.approx(checks["mean_rho_first_half_in_x"], 1e-12)
    assert rho[:, : ny // 2, :].mean() == pytest.approx(checks["mean_rho_first_half_in_y"], 1e-12)
    assert rho[: nz // 2].mean() == pytest.approx(checks["mean_rho_first_half_in_z"], 1e-12)
    weighted = np.sum(rho.ravel() * np.arange(rho.size, dtype=np.float64))
    assert weighted == pytest.approx(checks["sum_rho_times_flat_C_index"], rel=1e-12)
    with h5py.File(athena_dir / name, "r") as f:
        for cell in exp["cells"]:
            index = tuple(cell["index_zyx"])
            block, local = cell["file_block_index"], tuple(cell["local_index_in_block_kji"])
            lx = np.array(header.logical_locations[block])
            assert tuple(lx[::-1] * header.block_size[::-1] + local) == index
            for var in set(cell) & set(header.variables):
                assert arrays[var][index] == cell[var]
                dataset, v = header.dataset_of[var]
                assert f[dataset][(v, block, *local)] == cell[var]


@pytest.mark.parametrize("name", FILES)
def test_placement_agrees_with_cell_coordinates(athena_dir, name):
    """Independent check: put every cell where its x1v/x2v/x3v centre says (FORMATS.md 1.5)."""
    header, arrays = read_athdf(athena_dir / name)
    with h5py.File(athena_dir / name, "r") as f:
        index = []
        for axis in range(3):
            (lo, hi), n = header.domain[axis], header.root_grid_size[axis]
            centres = f[f"x{axis + 1}v"][()].astype(np.float64)
            assert f[f"x{axis + 1}v"].dtype == np.dtype(header.data_dtype)
            index.append(np.floor((centres - lo) / (hi - lo) * n).astype(int))
        for var, (dataset, v) in header.dataset_of.items():
            placed = np.full(header.shape_zyx, np.nan)
            for b, block in enumerate(f[dataset][v]):
                placed[np.ix_(index[2][b], index[1][b], index[0][b])] = block
            np.testing.assert_array_equal(placed, arrays[var])


def test_float_double_and_density_only_copies_agree(athena_dir, expected):
    (_, single), (_, double), (_, density) = (read_athdf(athena_dir / n) for n in SNAPSHOT_T03)
    note = expected["_note_float_vs_double"]
    assert note["same_snapshot"] and note["files"] == list(SNAPSHOT_T03[:2])
    diff = np.abs(single["rho"].astype(np.float64) - double["rho"])
    assert diff.max() == pytest.approx(note["max_abs_diff_rho"], rel=1e-12) and diff.max() <= 1.2e-7
    relative = diff / np.abs(double["rho"])
    assert relative.max() == pytest.approx(note["max_rel_diff_rho"], rel=1e-12)
    for var in double:  # Athena++ rounds the double state to nearest float32, cell by cell
        np.testing.assert_array_equal(double[var].astype(np.float32), single[var])
    np.testing.assert_array_equal(density["rho"], single["rho"])


def test_emag_and_ekin_are_energy_densities(athena_dir):
    path = athena_dir / "turb_mhd.out3.00001.athdf"
    b = [read_athdf_variable(path, f"Bcc{i}").astype(np.float64) for i in (1, 2, 3)]
    emag = read_athdf_variable(path, "emag")
    assert emag.dtype == np.float64
    np.testing.assert_array_equal(emag, (b[0] ** 2 + b[1] ** 2 + b[2] ** 2) / 2)
    _, single = read_athdf(path.with_name("turb_mhd.out2.00003.athdf"), ["emag", "Bcc1", "Bcc2"])
    assert single["emag"].dtype == np.float32
    np.testing.assert_allclose(single["emag"], emag, rtol=5e-7, atol=1e-7)
    b32 = [single["Bcc1"].astype(np.float64), single["Bcc2"].astype(np.float64)]
    b32.append(read_athdf_variable(path.with_name("turb_mhd.out2.00003.athdf"), "Bcc3"))
    expected32 = (b32[0] ** 2 + b32[1] ** 2 + b32[2].astype(np.float64) ** 2) / 2
    np.testing.assert_array_equal(single["emag"], expected32.astype(np.float32))
    assert set(DERIVED_VARIABLES) >= {"emag", "ekin"}


@pytest.mark.parametrize("name", ["turb_mhd.out3.00000.athdf", "turb_mhd.out3.00001.athdf"])
def test_energies_match_athena_history_file(athena_dir, name):
    """Volume means of emag / ekin equal the 1-ME+2-ME+3-ME / 1-KE+2-KE+3-KE columns of .hst."""
    hst = np.loadtxt(athena_dir / "turb_mhd.hst")
    header, arrays = read_athdf(athena_dir / name, ["emag", "ekin"])
    row = hst[np.argmin(np.abs(hst[:, 0] - header.time))]
    assert row[0] == pytest.approx(header.time, abs=1e-6)
    volume = np.prod([hi - lo for lo, hi in header.domain])
    # .hst prints 6 significant digits: three rounded columns of values < 1
    assert arrays["emag"].mean() * volume == pytest.approx(row[10:13].sum(), abs=2e-6)
    assert arrays["ekin"].mean() * volume == pytest.approx(row[6:9].sum(), abs=2e-6)


def test_unknown_variable_lists_available(athena_dir):
    path = athena_dir / "turb_mhd.out4.00001.athdf"
    with pytest.raises(AthdfError, match=r"unknown variable 'vel1'.*'rho'") as err:
        read_athdf_variable(path, "vel1")
    assert str(path) in str(err.value)
    with pytest.raises(AthdfError, match="unknown variable 'emag'"):  # no B in a hydro-only file
        read_athdf(path, ["rho", "emag"])


def _edit(path, edit):
    with h5py.File(path, "r+") as f:
        edit(f)
    return path


def _replace(f, name, data):
    del f[name]
    f.create_dataset(name, data=data)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f.__delitem__("B"), "missing cell-data dataset 'B'"),
        (lambda f: f.__delitem__("LogicalLocations"), "missing dataset 'LogicalLocations'"),
        (lambda f: f.attrs.__delitem__("VariableNames"), "missing root attribute 'VariableNames'"),
        (lambda f: f.attrs.__delitem__("RootGridX2"), "missing root attribute 'RootGridX2'"),
        (lambda f: f.attrs.modify("NumMeshBlocks", 15), "inconsistent meshblock counts"),
        (
            lambda f: _replace(f, "LogicalLocations", f["LogicalLocations"][:15]),
            "inconsistent meshblock counts",
        ),
        (lambda f: _replace(f, "prim", f["prim"][:, :15]), "disagree on"),
        (
            lambda f: f["LogicalLocations"].__setitem__(3, f["LogicalLocations"][2]),
            r"duplicated logical location\(s\) \[\[0, 1, 0\]\]",
        ),
        (
            lambda f: f["LogicalLocations"].__setitem__(5, [2, 0, 0]),
            r"block 5 has logical location \[2, 0, 0\] outside",
        ),
        (lambda f: f.attrs.modify("MaxLevel", 1), "refined meshes are not supported"),
        (
            lambda f: f["Levels"].__setitem__(4, 1),
            r"refined meshes are not supported.*athena_read.athdf\(path, level=",
        ),
        (
            lambda f: f.attrs.modify("MeshBlockSize", np.array([16, 16, 8], ">i4")),
            "but MeshBlockSize is",
        ),
        (lambda f: f.attrs.modify("NumVariables", np.array([5, 2], ">i4")), "does not partition"),
        (
            lambda f: f.attrs.modify("RootGridSize", np.array([32, 30, 32], ">i4")),
            "is not a multiple of MeshBlockSize",
        ),
    ],
)
def test_malformed_files_raise_naming_the_file(copy_of, edit, message):
    path = _edit(copy_of(), edit)
    with pytest.raises(AthdfError, match=message) as err:
        read_athdf(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("keep", [0.5, 0.99])
def test_truncated_file_raises(copy_of, keep):
    path = copy_of()
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(AthdfError, match="cannot read as an HDF5 file") as err:
        read_athdf_variable(path, "rho")
    assert str(path) in str(err.value)


def test_not_hdf5_or_missing_file_raises(tmp_path):
    text = tmp_path / "notes.athdf"
    text.write_text("<Xdmf>not hdf5</Xdmf>\n")
    with pytest.raises(AthdfError, match=re.escape(f"{text}: cannot read as an HDF5 file")):
        read_athdf_header(text)
    with pytest.raises(AthdfError, match="does not exist"):
        read_athdf_header(tmp_path / "absent.athdf")


def test_file_without_mesh_data_falls_back_to_data_shape(athena_dir, copy_of):
    """``mesh_data = false`` drops coordinates and mesh attributes (FORMATS.md 1.3)."""
    original = read_athdf(athena_dir / "turb_mhd.out2.00002.athdf")[1]

    def strip(f):
        for name in ("x1f", "x2f", "x3f", "x1v", "x2v", "x3v"):
            del f[name]
        for name in ("Coordinates", "RootGridX1", "RootGridX2", "RootGridX3", "RootGridSize"):
            del f.attrs[name]
        for name in ("NumMeshBlocks", "MeshBlockSize", "MaxLevel"):
            del f.attrs[name]

    header, arrays = read_athdf(_edit(copy_of("turb_mhd.out2.00002.athdf"), strip))
    assert header.root_grid_size == (32, 32, 32) and header.block_size == (16, 8, 16)
    assert header.domain == ((0.0, 32.0),) * 3 and header.cell_size == (1.0, 1.0, 1.0)
    assert header.coordinates == "unknown" and header.cycle == 85
    for var, values in original.items():
        np.testing.assert_array_equal(arrays[var], values)


# ----------------------------------------------------------------------------- writer


def _tree_order(per_axis):
    """Reference: Athena++'s depth-first walk of the block tree (children x1 fastest)."""
    depth = int(np.ceil(np.log2(max(per_axis))))  # levels below the root of the tree
    order = []

    def walk(level, lx):
        size = 1 << (depth - level)  # root-level blocks covered by this node per axis
        if any(lx[a] * size >= per_axis[a] for a in range(3)):
            return
        if level == depth:
            order.append(tuple(lx))
            return
        for o3 in (0, 1):
            for o2 in (0, 1):
                for o1 in (0, 1):
                    walk(level + 1, (2 * lx[0] + o1, 2 * lx[1] + o2, 2 * lx[2] + o3))

    walk(0, (0, 0, 0))
    return order


def test_block_order_matches_fixture_and_tree_walk(expected):
    fixture = expected["turb_mhd.out2.00000.athdf"]["logical_locations_lx1lx2lx3_in_file_order"]
    assert athena_block_order((2, 4, 2)).tolist() == fixture
    for per_axis in [(1, 1, 1), (3, 1, 1), (2, 2, 1), (3, 5, 2), (1, 4, 1), (4, 4, 4), (5, 3, 6)]:
        got = [tuple(row) for row in athena_block_order(per_axis).tolist()]
        assert got == _tree_order(per_axis)
        assert len(set(got)) == int(np.prod(per_axis))


def _random_fields(names, shape, seed):
    rng = np.random.default_rng(seed)
    return {name: rng.normal(size=shape) for name in names}


PRIM_CR = ("rho", "press", "vel1", "vel2", "vel3", "Ec", "Fc1", "Fc2", "Fc3")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "block_size", "domain"),
    [
        ((8, 12, 16), (8, 4, 4), ((-0.5, 0.5), (-0.5, 0.5), (-0.5, 0.5))),
        ((1, 12, 16), (4, 6, 1), ((0.0, 2.0), (-1.5, 1.5), (-1.0, 1.0))),  # 2-D mesh
    ],
)
def test_write_read_round_trip(tmp_path, dtype, shape, block_size, domain):
    datasets = {
        "prim": _random_fields(PRIM_CR, shape, 1),
        "B": _random_fields(("Bcc1", "Bcc2", "Bcc3"), shape, 2),
    }
    path = tmp_path / "cr.out1.00007.athdf"
    write_athdf(
        path, datasets, time=0.3, cycle=123, block_size=block_size, domain=domain, dtype=dtype
    )
    header, arrays = read_athdf(path)
    assert header.variables == PRIM_CR + ("Bcc1", "Bcc2", "Bcc3")
    assert header.dataset_of["Fc3"] == ("prim", 8) and header.dataset_of["Bcc2"] == ("B", 1)
    assert header.time == float(dtype(0.3)) and header.cycle == 123
    assert header.shape_zyx == shape and header.block_size == block_size
    assert header.data_dtype == np.dtype(dtype).str and header.domain == domain
    assert header.cell_size == tuple(
        (hi - lo) / n for (lo, hi), n in zip(domain, shape[::-1], strict=True)
    )
    for group in datasets.values():
        for name, values in group.items():
            assert arrays[name].dtype == dtype
            np.testing.assert_array_equal(arrays[name], values.astype(dtype))
    with h5py.File(path, "r") as f:  # coordinates: faces of each block and their midpoints
        for axis in range(3):
            (lo, hi), n = domain[axis], shape[::-1][axis]
            faces = f[f"x{axis + 1}f"][()]
            assert faces.dtype == dtype and faces.min() == lo and faces.max() == hi
            np.testing.assert_allclose(np.diff(faces, axis=1), (hi - lo) / n, rtol=1e-6)
            eps = np.finfo(dtype).eps
            midpoints = (faces[:, 1:].astype(np.float64) + faces[:, :-1]) / 2
            np.testing.assert_allclose(f[f"x{axis + 1}v"][()], midpoints, rtol=eps, atol=eps)


def test_hydro_only_dataset_round_trip(tmp_path):
    rho = np.arange(4 * 4 * 8, dtype=np.float32).reshape(4, 4, 8)
    path = tmp_path / "d.athdf"
    write_athdf(path, {"hydro": {"rho": rho}}, time=1.0, cycle=0, block_size=(4, 2, 2))
    header, arrays = read_athdf(path)
    assert header.dataset_of == {"rho": ("hydro", 0)} and header.num_blocks == 8
    np.testing.assert_array_equal(arrays["rho"], rho)
    assert arrays["rho"][3, 2, 5] == (3 * 4 + 2) * 8 + 5  # [z, y, x], x fastest


def _layout(path):
    """On-disk types and shapes of every attribute and dataset (h5py low-level view)."""
    out = {}
    with h5py.File(path, "r") as f:
        for name in f.attrs:
            kind = f.attrs.get_id(name).get_type()
            detail = (
                (kind.get_size(), kind.get_strpad(), kind.get_cset())
                if isinstance(kind, h5py.h5t.TypeStringID)
                else kind.get_order()
            )
            out[f"@{name}"] = (f.attrs.get_id(name).dtype.str, f.attrs.get_id(name).shape, detail)
        for name, ds in f.items():
            out[name] = (ds.dtype.str, ds.shape, ds.id.get_type().get_order())
    return out


@pytest.mark.parametrize("name", ["turb_mhd.out2.00003.athdf", "turb_mhd.out3.00001.athdf"])
def test_writer_reproduces_fixture_layout_and_values(athena_dir, tmp_path, name):
    fixture = athena_dir / name
    header, arrays = read_athdf(fixture)
    datasets = {}
    for var, (dataset, _) in header.dataset_of.items():
        datasets.setdefault(dataset, {})[var] = arrays[var]
    path = tmp_path / name
    write_athdf(
        path,
        datasets,
        time=header.time,
        cycle=header.cycle,
        block_size=header.block_size,
        domain=header.domain,
        dtype=header.data_dtype,
    )
    assert _layout(path) == _layout(fixture)
    with h5py.File(path, "r") as new, h5py.File(fixture, "r") as old:
        for key in old.attrs:
            assert type(new.attrs[key]) is type(old.attrs[key])
            np.testing.assert_array_equal(new.attrs[key], old.attrs[key])
        for key in old:  # block order, coordinates and cell data bit for bit
            np.testing.assert_array_equal(new[key][()], old[key][()])


def test_identical_inputs_give_identical_bytes(tmp_path):
    datasets = {"prim": _random_fields(("rho", "press"), (4, 4, 4), 3)}
    first, second = tmp_path / "a.athdf", tmp_path / "b.athdf"
    write_athdf(first, datasets, time=0.1, cycle=3, block_size=(2, 2, 2))
    time.sleep(1.1)  # HDF5 timestamps have one-second resolution
    write_athdf(second, datasets, time=0.1, cycle=3, block_size=(2, 2, 2))
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.athdf", "b.athdf"]  # no temp files


@pytest.mark.parametrize(
    ("datasets", "kwargs", "message"),
    [
        ({}, {}, "datasets is empty"),
        ({"prim": {}}, {}, "holds no variables"),
        ({"prim": {"rho": np.zeros((4, 4, 4)), "vel1": np.zeros((4, 4, 2))}}, {}, "same shape"),
        ({"prim": {"rho": np.zeros((4, 4))}}, {}, r"\(Nz, Ny, Nx\)"),
        ({"prim": {"rho": np.zeros((4, 4, 6))}}, {}, "must be positive and divide"),
        (
            {"prim": {"rho": np.zeros((4, 4, 4))}, "B": {"rho": np.zeros((4, 4, 4))}},
            {},
            "more than",
        ),
        ({"prim": {"x" * 21: np.zeros((4, 4, 4))}}, {}, "1 to 20 ASCII characters"),
        ({"x1v": {"rho": np.zeros((4, 4, 4))}}, {}, "reserved for mesh data"),
        ({"prim": {"rho": np.zeros((4, 4, 4))}}, {"dtype": np.float16}, "float32 or float64"),
        ({"prim": {"rho": np.zeros((4, 4, 4))}}, {"domain": ((0, 1), (1, 0), (0, 1))}, "min < max"),
    ],
)
def test_writer_rejects_bad_input(tmp_path, datasets, kwargs, message):
    path = tmp_path / "bad.athdf"
    with pytest.raises(ValueError, match=message):
        write_athdf(path, datasets, time=0.0, cycle=0, block_size=(4, 2, 2), **kwargs)
    assert not any(tmp_path.iterdir())


def test_non_finite_cells_are_refused_naming_file_and_variable(tmp_path):
    rng = np.random.default_rng(5)
    fields = {name: rng.uniform(1, 2, (4, 4, 8)) for name in ("rho", "press", "vel1")}
    fields["rho"][1, 2, 3] = np.nan
    fields["press"][3, 0, 6] = np.inf
    fields["press"][3, 1, 0] = -np.inf
    path = tmp_path / "bad.out1.00000.athdf"
    write_athdf(path, {"prim": fields}, time=0.1, cycle=1, block_size=(4, 2, 2))
    with pytest.raises(AthdfError) as err:
        read_athdf_variable(path, "rho")
    message = str(err.value)
    assert str(path) in message and "'rho'" in message
    assert "1 non-finite cell(s)" in message and "[z, y, x] = [1, 2, 3]" in message
    with pytest.raises(AthdfError, match=r"'press' holds 2 non-finite .* \[3, 0, 6\]") as err:
        read_athdf(path, ["vel1", "press"])
    assert str(path) in str(err.value)
    with pytest.raises(AthdfError, match=f"{re.escape(str(path))}: variable 'rho'"):
        read_athdf(path)  # every stored variable
    header, arrays = read_athdf(path, ["vel1"])  # only the variables read are checked
    np.testing.assert_array_equal(arrays["vel1"], fields["vel1"].astype(np.float32))


def test_derived_overflow_is_refused(tmp_path):
    big = np.full((4, 4, 4), 3e38)  # finite in float32, B^2 / 2 is not
    path = tmp_path / "b.athdf"
    write_athdf(
        path, {"B": {"Bcc1": big, "Bcc2": big, "Bcc3": big}}, time=0, cycle=0, block_size=(4, 4, 4)
    )
    assert np.isfinite(read_athdf_variable(path, "Bcc1")).all()
    with pytest.raises(
        AthdfError, match=r"variable 'emag' \(derived, overflows float32\) holds 64"
    ):
        read_athdf_variable(path, "emag")
