"""FITS cubes: exact round trip of real Athena++ variables, provenance header, real reader."""

import hashlib
import json
import re

import h5py
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from sim2model.hashing import sha256_file
from sim2model.studies.turbulence.athdf import read_athdf
from sim2model.studies.turbulence.fits_cube import FitsCubeError, read_fits_cube, write_fits_cube


@pytest.fixture
def expected(shared_fixtures):
    return json.loads((shared_fixtures / "EXPECTED.json").read_text())["athena_turb_mhd"]


@pytest.fixture
def source(shared_fixtures):
    return shared_fixtures / "athena_turb_mhd" / "turb_mhd.out2.00001.athdf"


def test_sha256_file_known_value(tmp_path):
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert sha256_file(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )  # FIPS 180-2 test vector
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 20000)  # several read chunks
    assert sha256_file(big) == hashlib.sha256(big.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("name", "variable", "bitpix"),
    [
        ("turb_mhd.out2.00001.athdf", "rho", -32),
        ("turb_mhd.out3.00001.athdf", "vel1", -64),
        ("turb_mhd.out2.00003.athdf", "emag", -32),
    ],
)
def test_round_trip_is_exact(shared_fixtures, expected, tmp_path, name, variable, bitpix):
    src = shared_fixtures / "athena_turb_mhd" / name
    header, arrays = read_athdf(src, [variable])
    cube = tmp_path / f"{variable}.fits"
    write_fits_cube(
        cube, arrays[variable], variable=variable, header=header, source_sha256=sha256_file(src)
    )
    data, meta = read_fits_cube(cube)
    assert data.dtype == arrays[variable].dtype and data.dtype.isnative
    np.testing.assert_array_equal(data, arrays[variable])
    assert meta["BITPIX"] == bitpix and meta["VARIABLE"] == variable
    assert (
        meta["SIMTIME"] == expected[name]["time"] and meta["CYCLE"] == expected[name]["num_cycles"]
    )
    assert meta["SRCSHA"] == expected[name]["sha256"] and meta["SRCFILE"] == name


def test_header_values(source, expected, tmp_path):
    header, arrays = read_athdf(source, ["rho"])
    cube = tmp_path / "rho.fits"
    write_fits_cube(
        cube, arrays["rho"], variable="rho", header=header, source_sha256=sha256_file(source)
    )
    _, meta = read_fits_cube(cube)
    assert meta["SIMTIME"] == 0.10219867527484894 and meta["CYCLE"] == 45
    assert meta["DX1"] == meta["DX2"] == meta["DX3"] == 1 / 32
    assert (meta["X1MIN"], meta["X1MAX"], meta["X3MIN"], meta["X3MAX"]) == (-0.5, 0.5, -0.5, 0.5)
    assert meta["SRCSHA"] == sha256_file(source) == expected[source.name]["sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", meta["SRCSHA"])
    assert meta["UNITNOTE"] == "Athena++ code units" and meta["ORIGIN"] == "sim2model"
    assert meta["COORDSYS"] == "cartesian" and "DATE" not in meta
    assert all(len(key) <= 8 for key in meta)
    with fits.open(cube) as hdul:  # every sim2model keyword carries a comment
        for key in (
            "VARIABLE",
            "SIMTIME",
            "CYCLE",
            "DX1",
            "X1MIN",
            "UNITNOTE",
            "SRCFILE",
            "ORIGIN",
        ):
            assert hdul[0].header.comments[key]


def test_astropy_reader_and_wcs_place_cells_at_their_athena_coordinates(source, tmp_path):
    header, arrays = read_athdf(source, ["rho"])
    cube = tmp_path / "rho.fits"
    write_fits_cube(cube, arrays["rho"], variable="rho", header=header, source_sha256="0" * 64)
    with fits.open(cube) as hdul:
        hdul.verify("exception")
        assert hdul[0].data.shape == (32, 32, 32)
        assert hdul[0].data[3, 29, 22] == np.float32(0.6578044295310974)  # EXPECTED cell
        wcs = WCS(hdul[0].header)
    # cell [z, y, x] = [3, 29, 22] lives in file block 11 at local [k, j, i] = [3, 5, 6]
    with h5py.File(source, "r") as f:
        centre = [f["x1v"][11, 6], f["x2v"][11, 5], f["x3v"][11, 3]]
    world = wcs.pixel_to_world_values(22, 29, 3)  # 0-based pixel (x, y, z)
    np.testing.assert_allclose(np.ravel(world), centre, rtol=0, atol=1e-7)


def test_rewrite_is_byte_identical_and_atomic(source, tmp_path):
    header, arrays = read_athdf(source, ["Bcc2"])
    first, second = tmp_path / "a.fits", tmp_path / "b.fits"
    for path in (first, second, first):
        write_fits_cube(
            path, arrays["Bcc2"], variable="Bcc2", header=header, source_sha256="a" * 64
        )
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.fits", "b.fits"]


def test_long_units_note_survives(source, tmp_path):
    header, arrays = read_athdf(source, ["rho"])
    note = "density in units of the initial mean density rho_0 = 1, box side L = 1 (code units)"
    cube = tmp_path / "rho.fits"
    write_fits_cube(
        cube, arrays["rho"], variable="rho", header=header, source_sha256="b" * 64, units_note=note
    )
    assert read_fits_cube(cube)[1]["UNITNOTE"] == note


def test_write_rejects_wrong_shape_dtype_or_hash(source, tmp_path):
    header, arrays = read_athdf(source, ["rho"])
    cube = tmp_path / "bad.fits"
    kwargs = {"variable": "rho", "header": header, "source_sha256": "c" * 64}
    with pytest.raises(ValueError, match=r"shape \(32, 32, 16\), expected .*\(32, 32, 32\)"):
        write_fits_cube(cube, arrays["rho"][:, :, :16], **kwargs)
    with pytest.raises(ValueError, match="must hold floats"):
        write_fits_cube(cube, arrays["rho"].astype(np.int32), **kwargs)
    with pytest.raises(ValueError, match="64 lowercase hex"):
        write_fits_cube(cube, arrays["rho"], **(kwargs | {"source_sha256": "xyz"}))
    assert not cube.exists()


def test_read_rejects_truncated_cube(source, tmp_path):
    header, arrays = read_athdf(source, ["rho"])
    cube = tmp_path / "rho.fits"
    write_fits_cube(cube, arrays["rho"], variable="rho", header=header, source_sha256="d" * 64)
    whole = cube.read_bytes()
    for keep in (len(whole) - 100, len(whole) // 2, 2880, 100):
        cube.write_bytes(whole[:keep])
        with pytest.raises(FitsCubeError, match=re.escape(f"{cube}: cannot read as a FITS file")):
            read_fits_cube(cube)


def test_read_rejects_foreign_fits_and_non_fits(tmp_path):
    foreign = tmp_path / "foreign.fits"
    fits.PrimaryHDU(np.zeros((2, 2, 2), np.float32)).writeto(foreign)
    with pytest.raises(FitsCubeError, match=re.escape(f"{foreign}: not a sim2model FITS cube")):
        read_fits_cube(foreign)
    text = tmp_path / "text.fits"
    text.write_text("not a FITS file\n")
    with pytest.raises(FitsCubeError, match=re.escape(f"{text}: cannot read as a FITS file")):
        read_fits_cube(text)
