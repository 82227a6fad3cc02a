"""21-cm boxes -> map shards: slicing, labels, downsampling, meta and the dataset contract."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sim2model.io.dataset import concat_datasets, read_dataset, write_dataset
from sim2model.stages.source import stamp_shard
from sim2model.studies.eor21cm.maps import (
    ID_STRIDE,
    META_KEYS,
    block_mean,
    box_maps,
    builtin_shard,
    pickle_shard,
    simfast21_shard,
    slice_positions,
)
from sim2model.studies.eor21cm.seminumerical import DensityBox, SimConfig
from sim2model.studies.eor21cm.simfast21 import open_run

CONFIG = SimConfig(n=32, box_mpc=48.0)
REDSHIFTS = [8.0, 9.5]


@pytest.fixture(scope="module")
def shard():
    return builtin_shard(
        7, n_boxes=3, first_box_id=6, redshifts=REDSHIFTS, slices_per_box=4, config=CONFIG
    )


def assert_contract(ds, tmp_path):
    complete = stamp_shard(ds, study="eor21cm", task="regression", config={})
    back = read_dataset(write_dataset(tmp_path / "shard.h5", complete))
    np.testing.assert_array_equal(back.x, ds.x)
    np.testing.assert_array_equal(back.y, ds.y)
    assert back.attrs["target_names"] == ["xHI"] and back.attrs["study"] == "eor21cm"
    assert back.attrs["task"] == "regression" and back.attrs["class_names"] == []
    assert back.attrs["units"] == [""] and back.attrs["map_units"] == "mK"
    assert set(META_KEYS) <= set(back.meta)
    for key in ("box_id", "slice_index", "seed", "sample_id"):
        assert back.meta[key].dtype == np.int64
    assert len(np.unique(back.meta["sample_id"])) == len(back)


def test_slice_positions_are_evenly_spaced():
    np.testing.assert_array_equal(slice_positions(64, 4), [8, 24, 40, 56])
    np.testing.assert_array_equal(slice_positions(5, 5), np.arange(5))
    np.testing.assert_array_equal(slice_positions(64, 1), [32])
    with pytest.raises(ValueError, match="slices per box"):
        slice_positions(8, 9)


def test_block_mean_shrinks_and_keeps_the_mean():
    maps = np.random.default_rng(0).normal(size=(3, 12, 12))
    small = block_mean(maps, 4)
    assert small.shape == (3, 4, 4)
    np.testing.assert_allclose(small.mean(axis=(1, 2)), maps.mean(axis=(1, 2)))
    assert small[1, 2, 3] == pytest.approx(maps[1, 6:9, 9:12].mean())
    with pytest.raises(ValueError, match="image_size 5 must divide"):
        block_mean(maps, 5)


def test_box_maps_slice_perpendicular_to_the_line_of_sight():
    rng = np.random.default_rng(1)
    tb, xhi = rng.normal(size=(8, 8, 8)), (rng.uniform(size=(8, 8, 8)) > 0.5).astype(np.float32)
    maps, labels, index = box_maps(tb, xhi, 2)
    np.testing.assert_array_equal(index, [2, 6])
    np.testing.assert_allclose(maps[1], tb[:, :, 6], rtol=1e-6)
    np.testing.assert_allclose(labels, [xhi[:, :, 2].mean(), xhi[:, :, 6].mean()])
    small, small_labels, _ = box_maps(tb, xhi, 2, image_size=4)
    assert small.shape == (2, 4, 4) and small.dtype == np.float32
    np.testing.assert_array_equal(small_labels, labels)


def test_builtin_shard_layout_and_meta(shard, tmp_path):
    n = 3 * len(REDSHIFTS) * 4
    assert shard.x.shape == (n, 32, 32, 1) and shard.x.dtype == np.float32
    assert shard.y.shape == (n, 1) and shard.y.dtype == np.float32
    assert all(v.shape == (n,) for v in shard.meta.values())
    assert set(shard.meta["box_id"]) == {6, 7, 8}
    np.testing.assert_array_equal(np.unique(shard.meta["slice_index"]), [4, 12, 20, 28])
    ids = shard.meta["sample_id"]
    np.testing.assert_array_equal(ids // ID_STRIDE, shard.meta["box_id"])
    assert shard.attrs["source"] == "builtin"
    assert_contract(shard, tmp_path)


def test_builtin_labels_are_slice_means_of_the_boxes(shard):
    for i in range(0, len(shard), 5):
        meta = {k: v[i] for k, v in shard.meta.items()}
        snap = DensityBox(int(meta["seed"]), CONFIG).snapshot(meta["redshift"], meta["zeta"])
        assert snap.xhi_mean == meta["xHI_box"]
        k = meta["slice_index"]
        assert shard.y[i, 0] == np.float32(snap.xhi[:, :, k].mean(dtype=np.float64))
        np.testing.assert_array_equal(shard.x[i, :, :, 0], snap.tb_mk[:, :, k])
    assert np.std(shard.y[:, 0] - shard.meta["xHI_box"]) > 0.01  # slices scatter


def test_builtin_targets_are_stratified_per_redshift(shard):
    for z in REDSHIFTS:
        at_z = shard.meta["redshift"] == z
        box_means = np.unique(shard.meta["xHI_box"][at_z])
        assert box_means.size == 3
        # one box per third of [0.05, 0.95], up to the bisection tolerance 0.005
        lower = 0.05 + 0.3 * np.arange(3)
        assert np.all((box_means >= lower - 0.005) & (box_means <= lower + 0.3 + 0.005))


def test_builtin_shard_is_deterministic_and_ids_stay_unique_across_shards(shard):
    kwargs = {"redshifts": REDSHIFTS, "slices_per_box": 4, "config": CONFIG}
    again = builtin_shard(7, n_boxes=3, first_box_id=6, **kwargs)
    np.testing.assert_array_equal(again.x, shard.x)
    np.testing.assert_array_equal(again.meta["zeta"], shard.meta["zeta"])
    other = builtin_shard(8, n_boxes=1, first_box_id=9, image_size=8, **kwargs)
    assert other.x.shape[1:] == (8, 8, 1)
    merged = concat_datasets([shard, replace(other, x=np.zeros((8, 32, 32, 1), np.float32))])
    assert len(np.unique(merged.meta["sample_id"])) == len(merged)


def test_simfast21_shard(shared_fixtures, tmp_path):
    run_dir = shared_fixtures / "simfast21"
    ds = simfast21_shard([run_dir, run_dir], first_box_id=10, redshifts=[9.0, 8.0], image_size=16)
    assert ds.x.shape == (2 * 2 * 8, 16, 16, 1)
    assert ds.attrs["source"] == "simfast21"
    np.testing.assert_array_equal(np.unique(ds.meta["box_id"]), [10, 11])
    np.testing.assert_array_equal(ds.meta["redshift"][:16], np.repeat([9.0, 8.0], 8))
    assert np.isnan(ds.meta["zeta"]).all() and (ds.meta["seed"] == -1).all()
    assert np.isnan(ds.meta["fesc"]).all() and ds.meta["sfrd"][0] == pytest.approx(2.00487489e-2)
    run = open_run(run_dir)
    xhi, tb = run.xhi("9.000"), run.tb_mk("9.000")
    assert ds.meta["xHI_box"][0] == pytest.approx(0.5698828985880633, rel=1e-12)
    k = ds.meta["slice_index"][3]
    assert ds.y[3, 0] == np.float32(xhi[:, :, k].mean())
    np.testing.assert_allclose(ds.x[3, :, :, 0], block_mean(tb[None, :, :, k], 16)[0], rtol=1e-6)
    assert_contract(ds, tmp_path)


def test_pickle_shards_partition_the_table(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "maps": [rng.normal(size=(8, 8)) for _ in range(7)],
            "xHI": [0.2, 0.2, 0.2, 0.6, 0.6, 0.9, 0.9],
            "redshift": [8.0, 8.0, 8.0, 9.0, 9.0, 9.0, 9.0],
            "zeta": [30.0] * 7,
            "Tvir": [1e4] * 7,
            "box": [4, 4, 4, 7, 7, 9, 9],
        }
    )
    path = tmp_path / "df_recode.gzip"
    frame.to_pickle(path, compression="gzip")
    parts = [
        pickle_shard(path, shard_index=i, n_shards=2, scale_to_mk=1e3, box_column="box")
        for i in range(2)
    ]
    assert [len(p) for p in parts] == [4, 3]
    ds = concat_datasets(parts)
    np.testing.assert_array_equal(ds.meta["sample_id"], np.arange(7))
    np.testing.assert_array_equal(ds.meta["box_id"], frame["box"])
    assert "box_id" not in pickle_shard(path).meta  # no box column: no guessed box ids
    np.testing.assert_allclose(ds.x[4, :, :, 0], 1e3 * frame["maps"][4], rtol=1e-6)
    np.testing.assert_array_equal(ds.y[:, 0], np.float32(frame["xHI"]))
    assert (ds.meta["zeta"] == 30.0).all() and (ds.meta["Tvir"] == 1e4).all()
    assert (ds.meta["slice_index"] == -1).all() and ds.attrs["source"] == "pickle"
    assert pickle_shard(path, image_size=2).x.shape == (7, 2, 2, 1)
    with pytest.raises(ValueError, match="shard_index 2"):
        pickle_shard(path, shard_index=2, n_shards=2)
    assert_contract(ds, tmp_path)


def test_physical_history_keeps_one_zeta_per_box_and_xhi_falls_with_time():
    redshifts = [10.0, 7.0, 8.5]  # any order: time runs towards low z
    small = SimConfig(n=16, box_mpc=32.0)
    ds = builtin_shard(
        11, n_boxes=3, first_box_id=0, redshifts=redshifts, slices_per_box=1, config=small,
        xhi_bounds=(0.2, 0.8), history="physical",
    )  # fmt: skip
    for box in range(3):
        mine = ds.meta["box_id"] == box
        assert len(np.unique(ds.meta["zeta"][mine])) == 1
        z, xhi = ds.meta["redshift"][mine], ds.meta["xHI_box"][mine]
        by_time = xhi[np.argsort(-z)]  # z = 10, 8.5, 7
        assert np.all(np.diff(by_time) < 0), (box, by_time)
    balanced = builtin_shard(11, n_boxes=1, first_box_id=0, redshifts=redshifts,
                             slices_per_box=1, config=small, xhi_bounds=(0.2, 0.8))  # fmt: skip
    assert len(np.unique(balanced.meta["zeta"][balanced.meta["box_id"] == 0])) == 3
    with pytest.raises(ValueError, match="history"):
        builtin_shard(1, n_boxes=1, first_box_id=0, redshifts=[8.0], history="fast")
