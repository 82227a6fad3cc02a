"""The HDF5 dataset contract: writer, reader and validator."""

from __future__ import annotations

import hashlib
import time

import h5py
import numpy as np
import pytest

from conftest import make_dataset
from sim2model.io.dataset import (
    REQUIRED_ATTRS,
    DatasetError,
    concat_datasets,
    count_samples,
    read_dataset,
    validate_dataset,
    write_dataset,
)
from sim2model.io.predictions import Predictions, read_predictions, write_predictions


def test_roundtrip_preserves_arrays_and_attributes(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    back = read_dataset(path)
    np.testing.assert_array_equal(back.x, small_dataset.x)
    np.testing.assert_array_equal(back.y, small_dataset.y)
    np.testing.assert_array_equal(back.meta["snr"], small_dataset.meta["snr"])
    np.testing.assert_array_equal(back.extra["noiseless"], small_dataset.extra["noiseless"])
    assert back.attrs["target_names"] == ["a", "b", "c"]
    assert back.attrs["class_names"] == []
    assert back.attrs["versions"] == {"numpy": np.__version__}
    assert set(REQUIRED_ATTRS) <= set(back.attrs)


def test_file_is_plain_hdf5_with_documented_layout(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    with h5py.File(path, "r") as f:
        assert f["x"].dtype == np.float32 and f["x"].shape == (10, 8, 8, 1)
        assert set(f["meta"]) == {"sample_id", "snr"}
        assert set(f["extra"]) == {"noiseless"}
        assert f.attrs["task"] == "regression"


def test_same_data_gives_identical_bytes(tmp_path, small_dataset):
    a = write_dataset(tmp_path / "a.h5", small_dataset)
    time.sleep(1.1)  # HDF5 object timestamps have 1 s resolution: they must not be stored
    b = write_dataset(tmp_path / "b.h5", small_dataset)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)]
    assert digest[0] == digest[1]


def test_extra_can_be_skipped(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    assert read_dataset(path, extra=False).extra == {}


def test_first_rows_alone_are_read_and_counted(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    assert count_samples(path) == len(small_dataset.x) == 10
    head = read_dataset(path, rows=3)
    np.testing.assert_array_equal(head.x, small_dataset.x[:3])
    np.testing.assert_array_equal(head.y, small_dataset.y[:3])
    np.testing.assert_array_equal(head.meta["sample_id"], small_dataset.meta["sample_id"][:3])
    np.testing.assert_array_equal(head.extra["noiseless"], small_dataset.extra["noiseless"][:3])
    assert head.attrs == read_dataset(path).attrs
    whole = read_dataset(path, rows=None)
    np.testing.assert_array_equal(whole.x, small_dataset.x)
    with pytest.raises(DatasetError, match="nothere.h5: dataset file does not exist"):
        count_samples(tmp_path / "nothere.h5")


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: setattr(d, "x", d.x.astype(np.float64)), "'x' must be float32"),
        (lambda d: d.x.__setitem__((0, 0, 0, 0), np.nan), "NaN"),
        (lambda d: setattr(d, "y", d.y[:-1]), "'y' has leading length"),
        (lambda d: d.attrs.__setitem__("task", "guess"), "attribute 'task'"),
        (lambda d: d.attrs.pop("config_hash"), "missing attributes ['config_hash']"),
        (lambda d: d.meta.__setitem__("snr", np.ones(3)), "'meta/snr' has leading length"),
        (lambda d: d.attrs.__setitem__("target_names", ["a"]), "'target_names' has 1 names"),
    ],
)
def test_writer_rejects_malformed_data(tmp_path, small_dataset, mutate, message):
    mutate(small_dataset)
    with pytest.raises(DatasetError, match="bad.h5") as err:
        write_dataset(tmp_path / "bad.h5", small_dataset)
    assert message in str(err.value)
    assert not (tmp_path / "bad.h5").exists()


def test_reader_names_a_corrupt_file(tmp_path):
    bad = tmp_path / "corrupt.h5"
    bad.write_bytes(b"this is not HDF5")
    with pytest.raises(DatasetError, match="corrupt.h5.*cannot read"):
        validate_dataset(bad)


def test_reader_names_a_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="nothere.h5: dataset file does not exist"):
        read_dataset(tmp_path / "nothere.h5")


def test_reader_rejects_a_file_missing_y(tmp_path):
    path = tmp_path / "noy.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.zeros((2, 4, 4, 1), np.float32)
    with pytest.raises(DatasetError, match=r"noy.h5.*missing arrays \['y'\]"):
        read_dataset(path)


def test_classification_labels_must_index_class_names(tmp_path, small_dataset):
    small_dataset.attrs.update(task="classification", class_names=["p", "q"])
    small_dataset.y = np.array([0, 1, 2, 0, 1, 0, 1, 0, 1, 0])
    with pytest.raises(DatasetError, match="outside range"):
        write_dataset(tmp_path / "c.h5", small_dataset)


def test_concat_and_subset():
    a, b = make_dataset(4, seed=1), make_dataset(6, seed=2, first_id=4)
    merged = concat_datasets([a, b])
    assert len(merged) == 10
    np.testing.assert_array_equal(merged.meta["sample_id"], np.arange(10))
    sub = merged.subset([1, 7])
    np.testing.assert_array_equal(sub.x[1], b.x[3])
    b.meta.pop("snr")
    with pytest.raises(DatasetError, match="part 1 has meta keys"):
        concat_datasets([a, b])


def test_predictions_roundtrip(tmp_path):
    pred = Predictions(
        y_true=np.ones((3, 2), np.float32),
        y_pred=np.zeros((3, 2), np.float32),
        target_names=["flux", "g1"],
        meta={"snr": np.array([10.0, 20.0, 30.0])},
        units=["counts", ""],
    )
    write_predictions(tmp_path / "p.h5", pred)
    back = read_predictions(tmp_path / "p.h5")
    assert back.target_names == ["flux", "g1"] and back.units == ["counts", ""]
    np.testing.assert_array_equal(back.meta["snr"], pred.meta["snr"])
    np.testing.assert_array_equal(back.y_pred, pred.y_pred)


def test_a_file_without_an_extra_group_reads(tmp_path, small_dataset):
    path = tmp_path / "no_extra.h5"
    write_dataset(path, small_dataset)
    with h5py.File(path, "a") as f:
        del f["extra"]
    for extra in (True, False, ["noiseless"]):
        back = read_dataset(path, extra=extra)
        assert back.extra == {}
        np.testing.assert_array_equal(back.x, small_dataset.x)
