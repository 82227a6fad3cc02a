"""The turbulence mesh geometry is checked when the config is loaded, before the DAG.

Cut axis, buffer, tile and projection depth are checked against the mesh the slabs are cut from:
the snapshots' headers for a user's own runs (source athdf), the configured box for the built-in
sources. A 2D mesh left at the default cut axis (z) is cut in its plane, and the smoothing test
of user-named classes picks a class that exists.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from snakemake.utils import update_config

from sim2model.errors import ConfigError
from sim2model.registry import load_studies
from sim2model.schema import validate_config
from sim2model.studies.turbulence.athdf_write import write_athdf

REPO = Path(__file__).resolve().parents[1]
DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
README = (REPO / "README.md").read_text()
TILE = "turbulence.dataset.spatial.tile"
AXIS = "turbulence.dataset.spatial.axis"


def write_snapshots(paths: list[Path], shape_zyx: tuple[int, int, int], b: bool = True) -> None:
    """Tiny snapshots of one run (rho, and Bcc1..3 when ``b``), two meshblocks along x."""
    rng = np.random.default_rng(len(paths))
    nz, ny, nx = shape_zyx
    for i, path in enumerate(paths):
        fields = {"prim": {"rho": np.exp(0.3 * rng.standard_normal(shape_zyx))}}
        if b:
            fields["B"] = {f"Bcc{k}": rng.standard_normal(shape_zyx) for k in (1, 2, 3)}
        write_athdf(path, fields, time=float(i), cycle=i, block_size=(nx // 2, ny, nz))


def write_run(
    directory: Path, shape_zyx: tuple[int, int, int], *, n: int = 2, name: str = "run", b=True
) -> list[Path]:
    """``n`` snapshots ``<name>.out2.0000<i>.athdf`` in ``directory``."""
    paths = [directory / f"{name}.out2.{i:05d}.athdf" for i in range(n)]
    write_snapshots(paths, shape_zyx, b)
    return paths


def own_config(runs: dict[str, Path], **turbulence) -> dict:
    """The default config with a user's runs (one class per folder), merged as Snakemake does."""
    override = {
        "studies": ["turbulence"],
        "turbulence": {
            "source": "athdf",
            "classes": {c: {"snapshots": [f"{d}/*.athdf"]} for c, d in runs.items()},
            "variants": {"transport": {"task": "classification", "input": "rho"}, "ecr": None},
            "flattened_variant": None,
            **turbulence,
        },
    }
    config = copy.deepcopy(DEFAULT)
    update_config(config, override)
    return config


def config_error(config: dict) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_studies(config)
    return caught.value


@pytest.fixture
def runs_2d(tmp_path) -> dict[str, Path]:
    """Two classes of 2D runs (64 x 64 cells, one along z), like the README's example."""
    runs = {"streaming": tmp_path / "stream", "diffusion": tmp_path / "diff"}
    for directory in runs.values():
        write_run(directory, (1, 64, 64))
    return runs


def test_2d_tile_deeper_than_a_slab_names_the_tile_and_the_file(runs_2d):
    spatial = {"axis": 2, "buffer": 4, "tile": 16, "projection_depth": None}
    error = config_error(own_config(runs_2d, dataset={"spatial": spatial}))
    assert error.key == TILE
    assert "deeper than the val slab (8 of 64 cells along x)" in str(error)
    assert f"{runs_2d['streaming']}/run.out2.00000.athdf: a 2D mesh of 64 x 64 cells" in str(error)
    spatial["tile"] = 8
    load_studies(own_config(runs_2d, dataset={"spatial": spatial}))


def test_2d_cut_along_z_with_plane_tiles_names_the_axis(runs_2d):
    spatial = {"axis": 0, "samples": "plane_tiles", "tile": 8, "projection_depth": None}
    error = config_error(own_config(runs_2d, dataset={"spatial": spatial}))
    assert error.key == AXIS and "cut along 1 (y) or 2 (x)" in str(error)
    assert "a 2D mesh of 64 x 64 cells" in str(error)


@pytest.mark.parametrize(
    ("spatial", "key", "words"),
    [
        ({"samples": "slices", "tile": 8}, "samples", "one cell thick"),
        ({"tile": 8, "projection_depth": 2}, "projection_depth", "along z, which has 1 cell"),
        ({"axis": 1, "tile": 128, "projection_depth": None}, "tile", "wider than the 64 cells"),
        ({"axis": 1, "buffer": 30, "tile": 8, "projection_depth": None}, "buffer", "along y"),
        ({"tile": None, "projection_depth": None}, "tile", "need a tile size"),
    ],
)
def test_2d_geometry_errors_name_the_key(runs_2d, spatial, key, words):
    error = config_error(own_config(runs_2d, dataset={"spatial": spatial}))
    assert error.key == f"turbulence.dataset.spatial.{key}" and words in str(error), str(error)
    assert "run.out2.00000.athdf" in str(error)


def test_2d_mesh_left_at_the_default_axis_is_cut_in_its_plane(tmp_path):
    """The default cut axis (z, for 3D boxes) becomes the longer in-plane axis of a 2D mesh."""
    runs = {"a": tmp_path / "a", "b": tmp_path / "b"}
    for directory in runs.values():
        write_run(directory, (1, 64, 32))  # 32 cells along x, 64 along y
    spatial = {"tile": 8, "projection_depth": None}
    turbulence = load_studies(own_config(runs, dataset={"spatial": spatial}))["turbulence"]
    assert DEFAULT["turbulence"]["dataset"]["spatial"]["axis"] == 0
    assert turbulence.dataset_settings("transport")["spatial"]["axis"] == 1
    assert turbulence.dataset_settings()["spatial"]["axis"] == 1
    assert "along y" in turbulence.describe()
    # an axis in the plane is kept, and 3D boxes keep z
    along_x = {**spatial, "axis": 2, "buffer": 2, "tile": 4}  # 18 | 2 | 4 | 2 | 4 | 2 cells
    kept = load_studies(own_config(runs, dataset={"spatial": along_x}))["turbulence"]
    assert kept.dataset_settings("transport")["spatial"]["axis"] == 2
    assert load_studies(DEFAULT)["turbulence"].dataset_settings("transport")["spatial"] == {
        **DEFAULT["turbulence"]["dataset"]["spatial"],
        "train_on_projections": False,
    }


def test_snapshots_of_one_variant_must_share_a_mesh(tmp_path):
    runs = {"a": tmp_path / "a", "b": tmp_path / "b"}
    write_run(runs["a"], (1, 64, 64))
    odd = write_run(runs["b"], (1, 64, 64), n=1) + write_run(runs["b"], (1, 32, 64), name="z")
    error = config_error(own_config(runs, dataset={"spatial": {"tile": 8}}))
    assert error.key == "turbulence.classes.b.snapshots"
    assert f"{odd[1]}: a 2D mesh of 64 x 32 cells" in str(error)


def test_a_variable_missing_from_the_snapshots_names_the_variant_key(tmp_path):
    runs = {"a": tmp_path / "a", "b": tmp_path / "b"}
    write_run(runs["a"], (1, 64, 64))
    hydro = write_run(runs["b"], (1, 64, 64), b=False)
    emag = {"task": "image2image", "input": "rho", "target": "emag"}
    spatial = {"tile": 8, "projection_depth": None}
    config = own_config(runs, variants={"ecr": None, "emag": emag}, dataset={"spatial": spatial})
    error = config_error(config)
    assert error.key == "turbulence.variants.emag.target"
    assert f"{hydro[0]} has no variable 'emag'" in str(error)


def test_an_unreadable_snapshot_names_the_class_key(tmp_path):
    runs = {"a": tmp_path / "a", "b": tmp_path / "b"}
    write_run(runs["a"], (1, 64, 64))
    runs["b"].mkdir()
    (runs["b"] / "cut.out2.00000.athdf").write_bytes(b"not hdf5")
    error = config_error(own_config(runs, dataset={"spatial": {"tile": 8}}))
    assert error.key == "turbulence.classes.b.snapshots" and "cut.out2.00000.athdf" in str(error)


def test_smoothing_class_of_user_classes_defaults_to_one_that_exists(runs_2d):
    spatial = {"tile": 8, "projection_depth": None}
    turbulence = load_studies(own_config(runs_2d, dataset={"spatial": spatial}))["turbulence"]
    assert DEFAULT["turbulence"]["interpretation"]["smoothing_class"] == "mhd"
    assert turbulence.smoothing_class() == "streaming"
    chosen = own_config(runs_2d, dataset={"spatial": spatial}, interpretation={
        "smoothing_class": "diffusion"})  # fmt: skip
    assert load_studies(chosen)["turbulence"].smoothing_class() == "diffusion"
    typo = own_config(runs_2d, dataset={"spatial": spatial}, interpretation={
        "smoothing_class": "difusion"})  # fmt: skip
    assert config_error(typo).key == "turbulence.interpretation.smoothing_class"
    assert load_studies(DEFAULT)["turbulence"].smoothing_class() == "mhd"


def test_builtin_sources_are_checked_against_their_configured_box():
    config = copy.deepcopy(DEFAULT)
    update_config(config, {"turbulence": {"dataset": {"spatial": {"tile": 128}}}})
    error = config_error(config)
    assert error.key == TILE and "turbulence.surrogate.cells = 64: 64 x 64 x 64" in str(error)

    athena = copy.deepcopy(DEFAULT)
    update_config(athena, yaml.safe_load((REPO / "config/turbulence_athena.yaml").read_text()))
    validate_config(athena, REPO / "config" / "schema.yaml")
    load_studies(athena)  # 32^3 cells: slabs of 18 | 4 | 4 cells between 2-cell buffers
    athena["turbulence"]["dataset"]["spatial"]["projection_depth"] = 5
    error = config_error(athena)
    assert error.key == "turbulence.dataset.spatial.projection_depth"
    assert "test slab (4 of 32 cells along z)" in str(error) and "athena.cells = 32" in str(error)


def test_real_athena_snapshots_are_checked_from_their_headers(shared_fixtures):
    """The fixture run (32^3): the embedded default's 4-cell projections overfill its test slab."""
    runs = shared_fixtures / "athena_turb_mhd"
    config = own_config({})
    config["turbulence"]["classes"] = {
        "early": {"snapshots": [f"{runs}/turb_mhd.out2.0000[12].athdf"]},
        "late": {"snapshots": [f"{runs}/turb_mhd.out2.00003.athdf"]},
    }
    error = config_error(config)
    assert error.key == "turbulence.dataset.spatial.projection_depth"
    assert "turb_mhd.out2.00001.athdf: 32 x 32 x 32 cells" in str(error)
    config["turbulence"]["dataset"]["spatial"].update(buffer=2, tile=16, projection_depth=2)
    load_studies(config)


# -- the README's own-data examples, as written -------------------------------------------------
def readme_examples() -> list[str]:
    """The README's YAML examples of source athdf."""
    blocks = re.findall(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
    return [block for block in blocks if "source: athdf" in block]


def readme_config(example: str, root: Path) -> dict:
    """A README example with its runs under ``root``: two snapshots matching each class's first
    glob, 3D (48^3 cells) under ``runs/``, 2D (64 x 64 cells) under ``runs2d/``."""
    text = example.replace("runs/", f"{root}/runs/").replace("runs2d/", f"{root}/runs2d/")
    override = yaml.safe_load(text)
    for spec in override["turbulence"]["classes"].values():
        pattern = re.sub(r"\[(.)[^]]*\]", r"\1", spec["snapshots"][0])  # [5-9] -> 5
        paths = [Path(pattern.replace("*", str(i))) for i in range(2)]
        write_snapshots(paths, (1, 64, 64) if "/runs2d/" in pattern else (48, 48, 48))
    return override


def test_the_readme_own_data_examples_pass_the_checks(tmp_path):
    examples = readme_examples()
    assert len(examples) == 2
    for example in examples:
        config = copy.deepcopy(DEFAULT)
        update_config(config, readme_config(example, tmp_path))
        load_studies(config)


def test_the_readme_shortest_example_passes_the_dry_run_and_a_bad_tile_stops_it(tmp_path):
    shortest, two_d = readme_examples()
    good = tmp_path / "shortest.yaml"
    override = readme_config(shortest, tmp_path)
    good.write_text(yaml.safe_dump({**override, "studies": ["turbulence"]}))
    bad = tmp_path / "bad_tile.yaml"
    override = readme_config(two_d, tmp_path)
    override["turbulence"]["dataset"]["spatial"]["tile"] = 16  # deeper than the 8-cell slabs
    bad.write_text(yaml.safe_dump(override))
    for config, ok in ((good, True), (bad, False)):
        out = subprocess.run(
            [sys.executable, "-m", "snakemake", "-n", "--configfile", str(config)],
            capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
        text = out.stdout + out.stderr
        assert (out.returncode == 0) == ok, text[-3000:]
        if not ok:
            assert f"config {TILE}: 16 is deeper than the val slab" in text, text[-3000:]
            assert "Building DAG" not in text
