"""Pickled 21-cm map tables (the seed's df_recode.gzip layout): ingest and loud validation."""

import gzip
import pickle

import numpy as np
import pandas as pd
import pytest

from sim2model.io.eor_pickle import EorPickleError, read_eor_pickle


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
