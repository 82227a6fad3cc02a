"""The HDF5 dataset contract: writer, reader and validator."""

from __future__ import annotations

import hashlib
import json
import time

import h5py
import numpy as np
import pytest

from conftest import make_dataset
from sim2model.io.dataset import (
    REQUIRED_ATTRS,
    DatasetError,
    check_dataset,
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


def _image2image(d):
    d.attrs["task"] = "image2image"
    d.y = np.zeros((10, 8, 8, 2), np.float32)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: setattr(d, "x", d.x[:, 0, 0, 0]),
            "'x' must be an array of shape (N, ...) with at least 2 dimensions",
        ),
        (
            lambda d: setattr(d, "x", d.x.tolist()),
            "'x' must be an array of shape (N, ...) with at least 2 dimensions",
        ),
        (
            lambda d: d.x.__setitem__(([0, 3], 0, 0, 0), [np.nan, np.inf]),
            "'x' holds 2 NaN/inf values",
        ),
        (lambda d: setattr(d, "y", d.y[:-1]), "'y' has leading length (9,), expected (10,)"),
        (
            lambda d: setattr(d, "y", d.y.astype(np.float64)),
            "regression 'y' must be float32 (N, K), got float64 (10, 3)",
        ),
        (
            lambda d: setattr(d, "y", d.y[:, 0]),
            "regression 'y' must be float32 (N, K), got float32 (10,)",
        ),
        (lambda d: d.y.__setitem__((2, 1), np.inf), "'y' holds NaN/inf values"),
        (
            lambda d: (
                d.attrs.update(task="classification", class_names=["p", "q"]),
                setattr(d, "y", np.zeros(10)),
            ),
            "classification 'y' must be integer (N,), got float64 (10,)",
        ),
        (
            lambda d: (
                d.attrs.update(task="classification", class_names=["p", "q"]),
                setattr(d, "y", np.zeros((10, 1), np.int64)),
            ),
            "classification 'y' must be integer (N,), got int64 (10, 1)",
        ),
        (
            lambda d: (
                d.attrs.update(task="classification", class_names=["p", "q"]),
                setattr(d, "y", np.array([0, 1, -1, 0, 1, 0, 1, 0, 1, 0])),
            ),
            "labels outside range(len(class_names))",
        ),
        (
            lambda d: (_image2image(d), setattr(d, "y", d.y[:, :4, :4])),
            "image2image 'y' must be float32 on the grid of 'x' (10, 8, 8) (+ channels), "
            "got float32 (10, 4, 4, 2)",
        ),
        (
            lambda d: (_image2image(d), setattr(d, "y", d.y.astype(np.float64))),
            "image2image 'y' must be float32 on the grid of 'x' (10, 8, 8) (+ channels), "
            "got float64 (10, 8, 8, 2)",
        ),
        (
            lambda d: (_image2image(d), setattr(d, "y", d.y[..., 0])),
            "image2image 'y' must be float32 on the grid of 'x'",
        ),
        (
            lambda d: d.extra.__setitem__("noiseless", d.extra["noiseless"][:3]),
            "'extra/noiseless' has leading length (3,), expected 10",
        ),
        (
            lambda d: d.meta.__setitem__("snr", np.ones((10, 2))),
            "'meta/snr' must be 1-D, got shape (10, 2)",
        ),
    ],
)
def test_validator_names_each_broken_rule(small_dataset, mutate, message):
    mutate(small_dataset)
    with pytest.raises(DatasetError) as err:
        check_dataset(small_dataset, "here.h5")
    assert str(err.value).startswith("here.h5: not a valid sim2model dataset: ")
    assert message in str(err.value)


def test_validator_lists_every_problem_and_defaults_to_memory(small_dataset):
    small_dataset.x = small_dataset.x.astype(np.float64)
    del small_dataset.attrs["study"]
    with pytest.raises(DatasetError) as err:
        check_dataset(small_dataset)
    assert str(err.value) == (
        "<memory>: not a valid sim2model dataset: 'x' must be float32, got float64; "
        "missing attributes ['study']"
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda d: setattr(d, "x", np.zeros((10, 5), np.float32)),  # (N, features)
        lambda d: (
            d.attrs.update(task="classification", class_names=["p", "q", "r"]),
            setattr(d, "y", np.array([0, 2, 1, 0, 0, 2, 1, 0, 2, 0])),
        ),
        lambda d: (
            d.attrs.update(task="classification", class_names=["p"]),
            setattr(d, "y", np.zeros(10, np.int32)),
        ),
        _image2image,
        lambda d: (
            d.attrs.update(task="image2image"),
            setattr(d, "x", np.zeros((10, 3, 4, 5, 1), np.float32)),
            setattr(d, "y", np.zeros((10, 3, 4, 5, 2), np.float32)),
        ),
        lambda d: (
            d.attrs.update(task="classification", class_names=["p"]),
            setattr(d, "x", d.x[:0]),
            setattr(d, "y", np.zeros(0, np.int64)),
            d.meta.clear(),
            d.extra.clear(),
        ),
    ],
    ids=["2d-x", "labels-0-to-K-1", "one-class", "image2image", "cubes", "empty"],
)
def test_validator_accepts_valid_edge_cases(small_dataset, make):
    make(small_dataset)
    check_dataset(small_dataset)


def test_subset_and_concat_keep_every_group_and_the_given_attrs():
    a, b = make_dataset(4, seed=1), make_dataset(6, seed=2, first_id=4)
    merged = concat_datasets([a, b])
    np.testing.assert_array_equal(
        merged.extra["noiseless"], np.concatenate([a.extra["noiseless"], b.extra["noiseless"]])
    )
    sub = merged.subset([1, 7])
    np.testing.assert_array_equal(sub.extra["noiseless"], merged.extra["noiseless"][[1, 7]])
    np.testing.assert_array_equal(sub.meta["snr"], [a.meta["snr"][1], b.meta["snr"][3]])
    assert sub.attrs == merged.attrs and sub.attrs is not merged.attrs
    own = dict(a.attrs, study="merged")
    assert concat_datasets([a, b], attrs=own).attrs == own
    with pytest.raises(DatasetError, match="cannot concatenate an empty list of datasets"):
        concat_datasets([])


def test_writer_creates_missing_parent_folders(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "new" / "deeper" / "d.h5", small_dataset)
    assert path == tmp_path / "new" / "deeper" / "d.h5"
    np.testing.assert_array_equal(read_dataset(path).x, small_dataset.x)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    before = path.read_bytes()
    broken = make_dataset(seed=5)
    broken.attrs["unstorable"] = {1, 2}  # passes the contract, fails inside h5py
    with pytest.raises(TypeError):
        write_dataset(path, broken)
    assert [p.name for p in tmp_path.iterdir()] == ["d.h5"]
    assert path.read_bytes() == before


def test_dict_and_key_order_do_not_change_the_bytes(tmp_path, small_dataset):
    other = make_dataset()
    small_dataset.attrs["versions"] = {"numpy": "2", "h5py": "3", "astropy": "7"}
    other.attrs = dict(reversed(list(small_dataset.attrs.items())))
    other.attrs["versions"] = {"astropy": "7", "h5py": "3", "numpy": "2"}
    other.meta = dict(reversed(list(other.meta.items())))
    a = write_dataset(tmp_path / "a.h5", small_dataset)
    b = write_dataset(tmp_path / "b.h5", other)
    assert a.read_bytes() == b.read_bytes()
    with h5py.File(a, "r") as f:
        assert f.attrs["versions"] == json.dumps(other.attrs["versions"], sort_keys=True)
    assert read_dataset(b).attrs["versions"] == small_dataset.attrs["versions"]


def test_attributes_written_by_other_tools_decode(tmp_path, small_dataset):
    """Fixed-length byte strings (as older h5py or other writers store them) read as str."""
    path = write_dataset(tmp_path / "d.h5", small_dataset)
    with h5py.File(path, "a") as f:
        f.attrs["target_names"] = np.array([b"a", b"b", b"c"])
        f.attrs["study"] = np.bytes_(b"unit")
        f.attrs["versions"] = np.bytes_(b'{"numpy": "1.26"}')
        f.attrs["n_boxes"] = np.int64(12)
    attrs = read_dataset(path).attrs
    assert attrs["target_names"] == ["a", "b", "c"]
    assert attrs["study"] == "unit" and attrs["versions"] == {"numpy": "1.26"}
    assert attrs["n_boxes"] == 12 and type(attrs["n_boxes"]) is int


def test_a_file_without_a_meta_group_reads(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "no_meta.h5", small_dataset)
    with h5py.File(path, "a") as f:
        del f["meta"]
    back = read_dataset(path)
    assert back.meta == {}
    np.testing.assert_array_equal(back.y, small_dataset.y)


def test_reader_names_the_file_whose_arrays_break_the_contract(tmp_path, small_dataset):
    path = write_dataset(tmp_path / "wrongtype.h5", small_dataset)
    with h5py.File(path, "a") as f:
        del f["x"]
        f["x"] = small_dataset.x.astype(np.float64)
    with pytest.raises(DatasetError) as err:
        read_dataset(path)
    assert str(err.value).startswith(f"{path}: not a valid sim2model dataset: ")
    assert "'x' must be float32, got float64" in str(err.value)


def test_counting_names_a_corrupt_file(tmp_path):
    bad = tmp_path / "corrupt.h5"
    bad.write_bytes(b"this is not HDF5")
    with pytest.raises(DatasetError, match=r"corrupt\.h5: cannot read HDF5 dataset \("):
        count_samples(bad)
