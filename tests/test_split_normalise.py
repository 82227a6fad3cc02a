"""Splits, normalisation and the dataset stage."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import make_dataset
from sim2model.data.normalise import IMAGE_SCALINGS, Normaliser, fit_normaliser
from sim2model.data.split import split_indices
from sim2model.io.dataset import DatasetError, read_dataset, write_dataset
from sim2model.stages.dataset import split_dataset

FRACTIONS = {"train": 0.8, "val": 0.1, "test": 0.1}


def test_split_is_a_partition_with_requested_sizes():
    parts = split_indices(1003, FRACTIONS, seed=7)
    assert [len(parts[k]) for k in FRACTIONS] == [802, 100, 101]
    together = np.concatenate(list(parts.values()))
    assert sorted(together.tolist()) == list(range(1003))


def test_split_depends_only_on_seed():
    a, b, c = (split_indices(100, FRACTIONS, s) for s in (1, 1, 2))
    assert all(np.array_equal(a[k], b[k]) for k in FRACTIONS)
    assert not np.array_equal(a["train"], c["train"])


@pytest.mark.parametrize(
    ("fractions", "message"),
    [({"train": 0.8, "val": 0.3, "test": 0.1}, "sum to 1"), ({"train": 1.1, "val": -0.1}, "'val'")],
)
def test_bad_fractions_are_named(fractions, message):
    with pytest.raises(ValueError, match=message):
        split_indices(10, fractions, 0)


def test_label_scaling_maps_train_range_to_unit_interval_and_inverts():
    rng = np.random.default_rng(0)
    y = rng.uniform([1e4, 0.5, -0.6], [4e5, 6, 0.6], size=(500, 3)).astype(np.float32)
    x = rng.normal(3.0, 2.0, size=(500, 4, 4, 1)).astype(np.float32)
    norm = fit_normaliser(x, y, task="regression", image_scaling="standard")
    scaled = norm.transform_y(y)
    np.testing.assert_allclose(scaled.min(axis=0), -1, atol=1e-6)
    np.testing.assert_allclose(scaled.max(axis=0), 1, atol=1e-6)
    np.testing.assert_allclose(norm.inverse_y(scaled), y, rtol=1e-5)
    xs = norm.transform_x(x)
    assert abs(xs.mean()) < 1e-4 and abs(xs.std() - 1) < 1e-4


def test_per_channel_scaling_and_json_roundtrip(tmp_path):
    rng = np.random.default_rng(1)
    x = np.stack([rng.normal(0, 100, (50, 4, 4)), rng.normal(5, 0.01, (50, 4, 4))], -1)
    norm = fit_normaliser(x, np.zeros((50, 1)), task="regression", image_scaling="per_channel")
    norm.save(tmp_path / "n.json")
    again = Normaliser.load(tmp_path / "n.json")
    xs = again.transform_x(x)
    np.testing.assert_allclose(xs.std(axis=(0, 1, 2)), [1, 1], rtol=1e-4)
    assert json.loads((tmp_path / "n.json").read_text())["image_scaling"] == "per_channel"


def test_image_targets_are_standardised_per_channel_and_invert(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20, 4, 4, 1))
    y = np.stack([rng.normal(5.0, 2.0, (20, 4, 4)), rng.normal(-1.0, 0.5, (20, 4, 4))], axis=-1)
    y = y.astype(np.float32)
    norm = fit_normaliser(x, y, task="image2image", image_scaling="standard")
    scaled = norm.transform_y(y)
    assert np.allclose(scaled.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    assert np.allclose(scaled.std(axis=(0, 1, 2)), 1.0, atol=1e-5)
    norm.save(tmp_path / "norm.json")
    back = Normaliser.load(tmp_path / "norm.json").inverse_y(scaled)
    assert np.allclose(back, y, atol=1e-5)
    classes = np.array([0, 2, 1])
    assert (
        fit_normaliser(x[:3], classes, task="classification", image_scaling="none").transform_y(
            classes
        )
        is classes
    )


def test_unknown_image_scaling_is_rejected():
    with pytest.raises(ValueError, match="image_scaling must be one of"):
        fit_normaliser(
            np.zeros((2, 2, 2, 1)), np.zeros((2, 1)), task="regression", image_scaling="?"
        )


def _write_shards(tmp_path, sizes):
    paths, first = [], 0
    for i, n in enumerate(sizes):
        paths.append(
            write_dataset(tmp_path / f"shard{i}.h5", make_dataset(n, seed=i, first_id=first))
        )
        first += n
    return paths


def test_split_stage_writes_disjoint_splits_and_train_only_stats(tmp_path):
    shards = _write_shards(tmp_path, [40, 40, 20])
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    split_dataset(
        shards, **out, norm=tmp_path / "norm.json", fractions=FRACTIONS, seed=3,
        image_scaling="standard", config={"k": 1},
    )  # fmt: skip
    parts = {k: read_dataset(p) for k, p in out.items()}
    ids = {k: set(d.meta["sample_id"].tolist()) for k, d in parts.items()}
    assert not ids["train"] & ids["val"] and not ids["train"] & ids["test"]
    assert not ids["val"] & ids["test"]
    assert set().union(*ids.values()) == set(range(100))
    assert parts["train"].attrs["created_by"] == "split_dataset"
    norm = Normaliser.load(tmp_path / "norm.json")
    np.testing.assert_allclose(norm.y_min, parts["train"].y.min(axis=0), rtol=1e-6)
    np.testing.assert_allclose(norm.x_shift[0], parts["train"].x.astype(np.float64).mean())


def test_split_stage_names_a_corrupt_shard_and_keeps_nothing(tmp_path):
    shards = _write_shards(tmp_path, [10, 10])
    shards[1].write_bytes(b"garbage")
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    with pytest.raises(DatasetError, match="shard1.h5"):
        split_dataset(
            shards, **out, norm=tmp_path / "n.json", fractions=FRACTIONS, seed=0,
            image_scaling="none", config={},
        )  # fmt: skip
    assert not any(p.exists() for p in out.values())


def test_split_stage_rejects_duplicate_sample_ids(tmp_path):
    a = write_dataset(tmp_path / "a.h5", make_dataset(5))
    b = write_dataset(tmp_path / "b.h5", make_dataset(5, seed=9))
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    with pytest.raises(DatasetError, match="share sample ids"):
        split_dataset(
            [a, b], **out, norm=tmp_path / "n.json", fractions=FRACTIONS, seed=0,
            image_scaling="none", config={},
        )  # fmt: skip


def _eor_like_shard(tmp_path, n_boxes=12, slices=5):
    """Maps sliced from boxes: ``box_id`` groups, two redshifts, xHI spread over [0, 1]."""
    ds = make_dataset(n_boxes * slices, seed=4)
    rng = np.random.default_rng(5)
    ds.y = rng.uniform(0, 1, size=(len(ds), 1)).astype(np.float32)
    ds.attrs["target_names"] = ["xHI"]
    ds.meta["box_id"] = np.repeat(np.arange(n_boxes), slices)
    ds.meta["redshift"] = np.repeat(np.where(np.arange(n_boxes) % 2, 8.0, 9.0), slices)
    return write_dataset(tmp_path / "eor.h5", ds)


def test_split_stage_keeps_each_box_in_one_split_and_balances(tmp_path):
    shard = _eor_like_shard(tmp_path)
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    split_dataset(
        [shard], **out, norm=tmp_path / "n.json", fractions=FRACTIONS, seed=1,
        image_scaling="standard", config={}, label_range=[0.01, 0.99],
        balance={"bins": 2, "group": "redshift"}, group_by="box_id",
    )  # fmt: skip
    parts = {k: read_dataset(p) for k, p in out.items()}
    boxes = {k: set(d.meta["box_id"].tolist()) for k, d in parts.items()}
    assert not boxes["train"] & boxes["val"] and not boxes["train"] & boxes["test"]
    assert not boxes["val"] & boxes["test"]
    y = np.concatenate([d.y[:, 0] for d in parts.values()])
    z = np.concatenate([d.meta["redshift"] for d in parts.values()])
    assert y.min() >= 0.01 and y.max() <= 0.99
    cells = {(zi, yi >= 0.5) for zi, yi in zip(z, y, strict=True)}
    counts = [np.sum((z == zi) & ((y >= 0.5) == hi)) for zi, hi in cells]
    assert len(cells) == 4 and len(set(counts)) == 1


def test_split_stage_names_a_missing_meta_key(tmp_path):
    shard = _eor_like_shard(tmp_path)
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    with pytest.raises(DatasetError, match="group_by='run'.*no meta/run"):
        split_dataset(
            [shard], **out, norm=tmp_path / "n.json", fractions=FRACTIONS, seed=1,
            image_scaling="none", config={}, group_by="run",
        )  # fmt: skip


def test_split_stage_refuses_a_group_split_with_too_few_groups(tmp_path):
    shard = _eor_like_shard(tmp_path, n_boxes=1)
    out = {k: tmp_path / f"{k}.h5" for k in ("train", "val", "test")}
    with pytest.raises(DatasetError, match=r"group_by='box_id': 1 distinct values cannot fill"):
        split_dataset(
            [shard], **out, norm=tmp_path / "n.json", fractions=FRACTIONS, seed=1,
            image_scaling="none", config={}, group_by="box_id",
        )  # fmt: skip
    assert not any(p.exists() for p in out.values())


@pytest.mark.parametrize("scaling", ["none", "standard", "per_channel", "asinh"])
def test_inverse_x_undoes_every_image_scaling(scaling):
    rng = np.random.default_rng(4)
    x = np.stack([rng.normal(3.0, 2.0, (30, 4, 4)), rng.normal(-1.0, 0.1, (30, 4, 4))], -1)
    norm = fit_normaliser(x, np.zeros(30, dtype=int), task="classification", image_scaling=scaling)
    back = norm.inverse_x(norm.transform_x(x))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, x, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("scaling", IMAGE_SCALINGS)
def test_image_transform_gives_float32_from_any_input_dtype(scaling):
    rng = np.random.default_rng(11)
    x = rng.normal(2.0, 3.0, size=(6, 4, 4, 2))
    norm = fit_normaliser(x, np.zeros(6, dtype=int), task="classification", image_scaling=scaling)
    shift, scale = np.asarray(norm.x_shift), np.asarray(norm.x_scale)
    for given in (x, x.astype(np.float32), np.rint(x).astype(np.int16)):
        g64 = given.astype(np.float64)
        expected = np.arcsinh(g64 / scale[0]) if scaling == "asinh" else (g64 - shift) / scale
        out = norm.transform_x(given)
        assert out.dtype == np.float32, (scaling, given.dtype)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(16, 6, 6, 2), (8, 3, 4, 5, 2)], ids=["maps", "cubes"])
def test_image_statistics_are_float64_and_per_channel_over_all_other_axes(shape):
    """Statistics of float32 images are exact float64 ones, per channel over N and the grid."""
    rng = np.random.default_rng(12)
    x = (1000.0 + rng.normal(0.0, [1.0, 3.0], size=shape)).astype(np.float32)
    x64, grid_axes = x.astype(np.float64), tuple(range(len(shape) - 1))
    y = np.zeros((shape[0], 1), np.float32)
    fit = {s: fit_normaliser(x, y, task="regression", image_scaling=s) for s in IMAGE_SCALINGS}
    assert (fit["none"].x_shift, fit["none"].x_scale) == ([0.0], [1.0])
    assert fit["standard"].x_shift == [float(x64.mean())]
    assert fit["standard"].x_scale == [float(x64.std())]
    assert fit["per_channel"].x_shift == x64.mean(axis=grid_axes).tolist()
    assert fit["per_channel"].x_scale == x64.std(axis=grid_axes).tolist()
    assert (fit["asinh"].x_shift, fit["asinh"].x_scale) == ([0.0], [float(x64.std())])
    np.testing.assert_array_equal(fit["none"].transform_x(x), x)
    np.testing.assert_allclose(fit["asinh"].transform_x(x), np.arcsinh(x64 / x64.std()), rtol=1e-6)


@pytest.mark.parametrize("shape", [(10, 4, 4, 2), (6, 3, 4, 5, 2)], ids=["maps", "cubes"])
def test_image_target_statistics_are_float64_per_channel(shape):
    rng = np.random.default_rng(13)
    y = (50.0 + rng.normal(0.0, [2.0, 0.5], size=shape)).astype(np.float32)
    y64, grid_axes = y.astype(np.float64), tuple(range(len(shape) - 1))
    norm = fit_normaliser(y, y, task="image2image", image_scaling="none")
    assert norm.y_shift == y64.mean(axis=grid_axes).tolist()
    assert norm.y_scale == y64.std(axis=grid_axes).tolist()
    assert norm.y_min is None and norm.y_max is None


@pytest.mark.parametrize("scaling", ["standard", "per_channel", "asinh"])
def test_constant_images_fall_back_to_unit_scale(scaling):
    x = np.full((5, 3, 3, 2), 7.0)
    x[..., 0] += np.arange(5)[:, None, None]  # channel 0 varies, channel 1 is constant
    if scaling != "per_channel":
        x[..., 0] = 7.0  # one statistic for all: make the whole array constant
    norm = fit_normaliser(x, np.zeros(5, int), task="classification", image_scaling=scaling)
    out = norm.transform_x(x)
    assert np.all(np.isfinite(out))
    if scaling == "standard":
        assert (norm.x_shift, norm.x_scale) == ([7.0], [1.0])
        np.testing.assert_array_equal(out, 0.0)
    elif scaling == "asinh":
        assert norm.x_scale == [1.0]
        np.testing.assert_allclose(out, np.arcsinh(7.0), rtol=1e-6)
    else:
        assert norm.x_shift == [9.0, 7.0]
        assert norm.x_scale == [float(np.std(np.arange(5.0))), 1.0]
        np.testing.assert_array_equal(out[..., 1], 0.0)


def test_constant_regression_target_maps_to_minus_one_and_keeps_its_direction():
    y = np.array([[0.0, 2.5], [4.0, 2.5], [2.0, 2.5]], np.float32)
    norm = fit_normaliser(np.zeros((3, 2, 2, 1)), y, task="regression", image_scaling="none")
    assert (norm.y_min, norm.y_max) == ([0.0, 2.5], [4.0, 3.5])
    other = np.array([[1.0, 2.5], [3.0, 3.0], [5.0, 2.0]], np.float32)  # e.g. a val split
    scaled = norm.transform_y(other)
    np.testing.assert_allclose(scaled, [[-0.5, -1.0], [0.5, 0.0], [1.5, -2.0]], atol=1e-7)
    np.testing.assert_allclose(norm.inverse_y(scaled), other, atol=1e-6)


@pytest.mark.parametrize("task", ["regression", "image2image"])
def test_target_transforms_give_float32_and_invert(task):
    rng = np.random.default_rng(14)
    shape = (8, 3) if task == "regression" else (8, 4, 4, 2)
    y = rng.normal(3.0, 2.0, size=shape)  # float64 targets, as a user's loader may give
    norm = fit_normaliser(np.zeros((8, 4, 4, 1)), y, task=task, image_scaling="none")
    if task == "regression":
        lo, hi = y.min(axis=0), y.max(axis=0)
        expected = 2.0 * (y - lo) / (hi - lo) - 1.0
    else:
        expected = (y - y.mean(axis=(0, 1, 2))) / y.std(axis=(0, 1, 2))
    for given in (y, y.astype(np.float32)):
        scaled = norm.transform_y(given)
        assert scaled.dtype == np.float32, given.dtype
        np.testing.assert_allclose(scaled, expected, rtol=1e-5, atol=1e-6)
    back = norm.inverse_y(expected.astype(np.float32))
    assert back.dtype == np.float32
    np.testing.assert_allclose(back, y, rtol=1e-5, atol=1e-5)


def test_class_scores_pass_through_both_target_transforms():
    scores = np.array([[0.1, 0.9], [0.7, 0.3]], np.float32)
    norm = fit_normaliser(np.zeros((2, 2, 2, 1)), np.array([1, 0]), task="classification",
                          image_scaling="none")  # fmt: skip
    assert norm.transform_y(scores) is scores and norm.inverse_y(scores) is scores


def test_asinh_inverse_is_computed_in_float64():
    """Large generated values must not overflow float32 inside sinh before the rescaling."""
    norm = Normaliser(image_scaling="asinh", x_scale=[0.37])
    rng = np.random.default_rng(15)
    z = np.concatenate([rng.normal(0.0, 4.0, 500), [89.5, -89.5]]).astype(np.float32)
    expected = (np.sinh(z.astype(np.float64)) * 0.37).astype(np.float32)
    back = norm.inverse_x(z)
    assert back.dtype == np.float32 and np.all(np.isfinite(back))
    np.testing.assert_array_equal(back, expected)


@pytest.mark.parametrize(
    "content",
    ["{not json", '{"image_scaling": "none", "bogus": 1}', '{"image_scaling": "log"}', None],
    ids=str,
)
def test_loading_a_bad_normalisation_file_names_it(tmp_path, content):
    path = tmp_path / "stats_here.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ValueError, match="stats_here.json: not a sim2model normalisation file"):
        Normaliser.load(path)
