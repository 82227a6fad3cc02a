"""Pickled 21-cm map tables (the reference's df_recode.gzip layout): ingest and loud validation."""

import gzip
import pickle

import numpy as np
import pandas as pd
import pytest

from sim2model.studies.eor21cm.map_table import (
    EorPickleError,
    check_pickle_group_by,
    pickle_has_boxes,
    read_eor_pickle,
)
from sim2model.studies.eor21cm.maps import pickle_shard


def map_table(n=6, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "maps": [rng.normal(size=(size, size)) for _ in range(n)],
            "xHI": rng.uniform(0, 1, n),
            "redshift": np.repeat([8.0, 9.0], n // 2),
            "zeta": np.repeat([20.0, 40.0, 60.0], n // 3),
            "note": ["text"] * n,
        }
    )


def write(path, frame):
    frame.to_pickle(path, compression="gzip")
    return path


def test_reads_maps_labels_and_numeric_columns(tmp_path):
    frame = map_table()
    table = read_eor_pickle(write(tmp_path / "df.gzip", frame))
    assert table.maps.shape == (6, 8, 8) and table.maps.dtype == np.float32
    np.testing.assert_allclose(table.maps, np.stack(frame["maps"]), rtol=1e-6)
    np.testing.assert_array_equal(table.xhi, frame["xHI"])
    np.testing.assert_array_equal(table.redshift, frame["redshift"])
    assert list(table.columns) == ["zeta"]  # the text column is ignored


def test_reads_the_seed_notebooks_compression_options(tmp_path):
    path = tmp_path / "df_recode.gzip"
    map_table().to_pickle(path, compression={"method": "gzip", "compresslevel": 1, "mtime": 1})
    assert read_eor_pickle(path).maps.shape == (6, 8, 8)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="redshift"), r"missing columns \['redshift'\]"),
        (lambda f: f.iloc[:0], "no rows"),
        (lambda f: f.assign(xHI=[0.5, 1.2, 0.5, 0.5, 0.5, 0.5]), "'xHI', row 1: xHI outside"),
        (lambda f: f.assign(xHI=[0.5, 0.5, np.nan, 0.5, 0.5, 0.5]), "'xHI', row 2: not a finite"),
        (lambda f: f.assign(xHI=["a", "b", "c", "d", "e", "f"]), "'xHI', row 0: not a finite"),
        (lambda f: f.assign(redshift=[8.0, 8.0, 8.0, np.inf, 9.0, 9.0]), "'redshift', row 3"),
    ],
)
def test_bad_columns_name_file_column_and_row(tmp_path, change, message):
    path = write(tmp_path / "bad.gzip", change(map_table()))
    with pytest.raises(EorPickleError, match=message) as err:
        read_eor_pickle(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("bad_map", "message"),
    [
        (np.zeros((8, 9)), "row 3: map shape differs"),
        (np.zeros(8), "row 3: not a 2-D array"),
        (np.full((8, 8), np.nan), "row 3: map holds NaN"),
        (np.full((8, 8), 1e300), "row 3: map holds NaN/inf"),
        (np.full((8, 8), "x"), "row 3: map is not numeric"),
    ],
)
def test_bad_maps_name_the_row(tmp_path, bad_map, message):
    frame = map_table()
    frame.at[3, "maps"] = bad_map
    with pytest.raises(EorPickleError, match=f"'maps', {message}"):
        read_eor_pickle(write(tmp_path / "bad.gzip", frame))


def test_unreadable_files_are_named(tmp_path):
    with pytest.raises(EorPickleError, match="does not exist"):
        read_eor_pickle(tmp_path / "absent.gzip")
    junk = tmp_path / "junk.gzip"
    junk.write_bytes(b"not gzip at all")
    with pytest.raises(EorPickleError, match="junk.gzip: not a gzip-compressed pandas pickle"):
        read_eor_pickle(junk)
    plain = tmp_path / "plain.pkl"
    map_table().to_pickle(plain)  # uncompressed
    with pytest.raises(EorPickleError, match="plain.pkl: not a gzip"):
        read_eor_pickle(plain)
    series = tmp_path / "series.gzip"
    with gzip.open(series, "wb") as f:
        pickle.dump(pd.Series([1, 2]), f)
    with pytest.raises(EorPickleError, match="series.gzip: holds a Series"):
        read_eor_pickle(series)


def boxed_table(boxes):
    return map_table().assign(box=boxes)


def test_box_ids_come_from_the_named_column(tmp_path):
    path = write(tmp_path / "df.gzip", boxed_table([12, 12, 3, 3, 40, 40]))
    assert read_eor_pickle(path).box_id is None  # no column named: no box ids
    table = read_eor_pickle(path, box_column="box")
    np.testing.assert_array_equal(table.box_id, [12, 12, 3, 3, 40, 40])
    assert table.box_id.dtype == np.int64
    parts = [pickle_shard(path, shard_index=i, n_shards=2, box_column="box") for i in range(2)]
    np.testing.assert_array_equal(np.concatenate([p.meta["box_id"] for p in parts]), table.box_id)
    assert all(p.meta["box_id"].dtype == np.int64 for p in parts)
    assert "box_id" not in pickle_shard(path).meta  # box_column null: nothing guessed


def test_non_integer_box_labels_are_numbered_in_sorted_order(tmp_path):
    path = write(
        tmp_path / "df.gzip", boxed_table(["run_b", "run_b", "run_a", "run_c", "run_a", "run_c"])
    )
    np.testing.assert_array_equal(
        read_eor_pickle(path, box_column="box").box_id, [1, 1, 0, 2, 0, 2]
    )
    whole = write(tmp_path / "f.gzip", boxed_table([5.0, 5.0, 6.0, 6.0, 7.0, 7.0]))
    np.testing.assert_array_equal(
        read_eor_pickle(whole, box_column="box").box_id, [5, 5, 6, 6, 7, 7]
    )


def test_missing_box_column_or_value_names_file_and_column(tmp_path):
    path = write(tmp_path / "df.gzip", map_table())
    with pytest.raises(EorPickleError, match=r"box column 'box_nr' .* is missing") as err:
        pickle_shard(path, box_column="box_nr")
    assert str(path) in str(err.value) and "eor21cm.pickle.box_column" in str(err.value)
    gap = write(tmp_path / "gap.gzip", boxed_table([1.0, 1.0, np.nan, 2.0, 2.0, 2.0]))
    with pytest.raises(EorPickleError, match=r"gap.gzip: column 'box', row 2: missing box id"):
        read_eor_pickle(gap, box_column="box")


def test_group_by_box_id_needs_a_box_column():
    assert pickle_has_boxes("box") and not pickle_has_boxes(None)
    check_pickle_group_by("box_id", "box")
    check_pickle_group_by(None, None)
    check_pickle_group_by("redshift", None)
    with pytest.raises(EorPickleError, match=r"group_by: box_id needs eor21cm.pickle.box_column"):
        check_pickle_group_by("box_id", None)
