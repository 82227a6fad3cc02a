"""SimFast21 reader: exact values from the real fixture run, ordering, summaries, loud errors."""

import json
import re

import numpy as np
import pytest

from sim2model.studies.eor21cm.simfast21 import (
    BOX_KINDS,
    SimFast21Error,
    open_run,
    read_box,
    z_label,
)


@pytest.fixture
def expected(shared_fixtures):
    return json.loads((shared_fixtures / "EXPECTED.json").read_text())["simfast21"]


@pytest.fixture
def run(shared_fixtures):
    return open_run(shared_fixtures / "simfast21")


def write_run(root, zs, n=4, box="L30.0", kinds=tuple(BOX_KINDS), zsim=True, seed=0):
    """A synthetic run directory with boxes of value ``seed + index`` (xHII in [0, 1])."""
    for i, z in enumerate(zs):
        for kind in kinds:
            folder, prefix = BOX_KINDS[kind]
            (root / folder).mkdir(parents=True, exist_ok=True)
            value = (seed + i) / 10 if kind == "xHII" else seed + i
            path = root / folder / f"{prefix}_z{z}_N{n}_{box}.dat"
            np.full(n**3, value, dtype="<f4").tofile(path)
    if zsim:
        (root / "Output_text_files").mkdir(exist_ok=True)
        (root / "Output_text_files" / "zsim.txt").write_text("".join(f"{float(z):f}\n" for z in zs))
    return root


def test_run_layout_matches_expected(run, expected):
    assert run.n == expected["N"] and run.box_mpc == expected["L_Mpc"]
    assert list(run.redshifts) == expected["redshifts"]
    assert run.seed == -1 and np.isnan(run.param("fesc"))  # no simfast21.ini shipped
    for z, files in ((z, e["files"]) for z, e in expected["per_redshift"].items()):
        for kind, rel in files.items():
            assert run.box_path(kind, z) == run.path.parent / rel


def test_means_and_extremes_match_expected(run, expected):
    for z, exp in expected["per_redshift"].items():
        xhii, tb_k, delta = (run.read(k, z) for k in ("xHII", "deltaTb", "deltanl"))
        assert run.xhi(z).mean() == pytest.approx(exp["mean_xHI"], rel=1e-12)
        assert xhii.mean(dtype=np.float64) == pytest.approx(exp["mean_xHII"], rel=1e-12)
        assert tb_k.mean(dtype=np.float64) == pytest.approx(exp["mean_deltaTb_K"], rel=1e-12)
        assert run.tb_mk(z).mean() == pytest.approx(1e3 * exp["mean_deltaTb_K"], rel=1e-12)
        assert delta.std(dtype=np.float64) == pytest.approx(exp["std_deltanl"], rel=1e-10)
        assert (xhii.min(), xhii.max()) == (exp["min_xHII"], exp["max_xHII"])
        assert (tb_k.min(), tb_k.max()) == (exp["min_deltaTb_K"], exp["max_deltaTb_K"])
        assert (delta.min(), delta.max()) == (exp["min_deltanl"], exp["max_deltanl"])


def test_single_cells_are_exact_and_in_c_order(run, expected):
    for z, exp in expected["per_redshift"].items():
        xhii, tb_k, delta = (run.read(k, z) for k in ("xHII", "deltaTb", "deltanl"))
        xhi = run.xhi(z)
        for cell in exp["cells"]:
            x, y, zz = cell["index_xyz"]
            assert np.ravel_multi_index((x, y, zz), xhii.shape) == cell["flat_offset"]
            assert xhii[x, y, zz] == cell["xHII"] and xhi[x, y, zz] == cell["xHI"]
            assert tb_k[x, y, zz] == cell["deltaTb_K"] and delta[x, y, zz] == cell["deltanl"]
            assert tb_k[zz, y, x] == cell["deltaTb_K_at_reversed_index_zyx_WRONG_ORDER"]


def test_text_summaries_match_expected(run, expected):
    text = expected["text_summaries_from_simfast21"]
    table = run.summaries()
    assert list(table.index) == expected["redshifts"]
    np.testing.assert_array_equal(
        table["x_HI"], text["x_HI_N64_L30_0_dat_one_column_highest_z_first"]
    )
    z_t21 = np.array(text["t21_av_N64_L30_0_dat_z_and_mean_K"])
    assert [z_label(z) for z in z_t21[:, 0]] == list(table.index)
    np.testing.assert_array_equal(table["t21_av_K"], z_t21[:, 1])
    assert table["sfrd_av"].notna().all()
    means = [run.xhi(z).mean() for z in run.redshifts]
    np.testing.assert_allclose(table["x_HI"], means, rtol=1e-5, atol=1e-6)


def test_redshifts_are_ordered_as_numbers(tmp_path):
    run = open_run(write_run(tmp_path, ["9.500", "10.000", "11.000", "7.000"], zsim=False))
    assert run.redshifts == ("11.000", "10.000", "9.500", "7.000")


def test_zsim_lists_redshifts_and_duplicates_from_reruns_collapse(tmp_path):
    write_run(tmp_path, ["10.000", "9.500"])
    (tmp_path / "Output_text_files" / "zsim.txt").write_text("10.000000\n9.500000\n" * 2)
    assert open_run(tmp_path).redshifts == ("10.000", "9.500")
    # floating-point countdown: 6.9999999 is written as z7.000 in file names
    write_run(tmp_path / "b", ["7.000"], zsim=False)
    assert open_run(tmp_path / "b", redshifts=[6.9999999]).redshifts == ("7.000",)


def test_appended_summaries_keep_the_last_run(tmp_path):
    write_run(tmp_path, ["10.000", "9.500"])
    text = tmp_path / "Output_text_files"
    (text / "zsim.txt").write_text("10.000000\n9.500000\n" * 2)
    (text / "x_HI_N4_L30.0.dat").write_text("0.9\n0.8\n0.7\n0.6\n")
    (text / "t21_av_N4_L30.0.dat").write_text("10.0 1.0\n9.5 2.0\n10.0 3.0\n9.5 4.0\n")
    table = open_run(tmp_path).summaries()
    assert list(table["x_HI"]) == [0.7, 0.6] and list(table["t21_av_K"]) == [3.0, 4.0]
    assert table["sfrd_av"].isna().all()
    (text / "x_HI_N4_L30.0.dat").write_text("0.9\n0.8\n0.7\n")
    with pytest.raises(SimFast21Error, match="x_HI_N4_L30.0.dat: 3 lines"):
        open_run(tmp_path).summaries()


def test_ini_gives_seed_and_parameters(tmp_path):
    write_run(tmp_path, ["8.000"])
    (tmp_path / "simfast21.ini").write_text("seed = 123 # the seed\nfesc = 0.25\n")
    run = open_run(tmp_path)
    assert run.seed == 123 and run.param("fesc") == 0.25
    (tmp_path / "simfast21.ini").write_text("seed = -1\nfesc = high\n")
    run = open_run(tmp_path)
    assert run.seed == -1  # SimFast21 seeded from the clock
    with pytest.raises(SimFast21Error, match="simfast21.ini: fesc = 'high' is not a number"):
        run.param("fesc")


def test_missing_box_of_listed_redshift_names_the_file(tmp_path):
    write_run(tmp_path, ["9.000", "8.000"])
    missing = tmp_path / "deltaTb" / "deltaTb_z8.000_N4_L30.0.dat"
    missing.unlink()
    with pytest.raises(SimFast21Error, match=re.escape(str(missing))):
        open_run(tmp_path)
    with pytest.raises(SimFast21Error, match="xHII_z8.250_N4_L30.0.dat"):
        open_run(tmp_path, redshifts=[9.0, 8.25])
    (tmp_path / "Output_text_files" / "zsim.txt").write_text("9.000000\n6.500000\n")
    with pytest.raises(SimFast21Error, match="xHII_z6.500_N4_L30.0.dat"):
        open_run(tmp_path)


def test_wrong_file_size_names_the_file(tmp_path):
    write_run(tmp_path, ["9.000"])
    bad = tmp_path / "Ionization" / "xHII_z9.000_N4_L30.0.dat"
    bad.write_bytes(bad.read_bytes()[:-4])
    with pytest.raises(SimFast21Error, match=re.escape(f"{bad}: 252 bytes, expected 256")):
        open_run(tmp_path)
    with pytest.raises(SimFast21Error, match="xHII_z9.000_N4_L30.0.dat"):
        read_box(bad, 4)


def test_byte_swapped_or_non_finite_boxes_are_rejected(tmp_path):
    write_run(tmp_path, ["9.000"], seed=3)
    path = tmp_path / "Ionization" / "xHII_z9.000_N4_L30.0.dat"
    np.fromfile(path, "<f4").astype(">f4").tofile(path)
    run = open_run(tmp_path)
    with pytest.raises(SimFast21Error, match=re.escape(f"{path}: 64 values outside")):
        run.xhi("9.000")
    tb = tmp_path / "deltaTb" / "deltaTb_z9.000_N4_L30.0.dat"
    np.full(64, np.nan, "<f4").tofile(tb)
    with pytest.raises(SimFast21Error, match="deltaTb_z9.000_N4_L30.0.dat"):
        run.tb_mk(9.0)


def test_directory_problems_are_named(tmp_path):
    with pytest.raises(SimFast21Error, match="run directory does not exist"):
        open_run(tmp_path / "nowhere")
    with pytest.raises(SimFast21Error, match="Ionization: no xHII"):
        open_run(tmp_path)
    write_run(tmp_path, ["9.000"], n=4)
    write_run(tmp_path, ["9.000"], n=8, zsim=False)
    with pytest.raises(SimFast21Error, match="several"):
        open_run(tmp_path)
    assert open_run(tmp_path, n=8).n == 8
