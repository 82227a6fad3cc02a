"""Cosmic-ray sky simulator, cr_sphere.npz ingest and sky-map figure."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.image import imread
from scipy import stats

from sim2model.io.dataset import check_dataset, read_dataset, write_dataset
from sim2model.plots.style import save_figure
from sim2model.stages.source import stamp_shard
from sim2model.studies.crsphere.npz import CRSphereFileError, count_rows, read_crsphere_npz
from sim2model.studies.crsphere.simulator import (
    CRSphereSettings,
    normalise_energy,
    simulate_sample,
    simulate_shard,
    simulate_sky,
)
from sim2model.studies.crsphere.sky import sky_map_figure, vec2ang

DEFAULT = CRSphereSettings()


def angular_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle angle [rad] between rows of unit vectors (atan2 form: exact at small angles)."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


def pooled_events(signal: bool, n_samples: int, settings: CRSphereSettings, seed: int = 3):
    rng = np.random.default_rng(seed)
    return np.concatenate([simulate_sample(rng, signal, settings) for _ in range(n_samples)])


# --- simulator ---------------------------------------------------------------------------------


def test_isotropic_directions_are_uniform_on_the_sphere():
    events = pooled_events(False, 40, DEFAULT)  # 20,000 directions
    v, n = events[:, :3], len(events)
    # Dipole (Rayleigh) test: 3 N |mean|^2 follows chi2 with 3 degrees of freedom.
    assert stats.chi2.sf(3 * n * np.sum(v.mean(axis=0) ** 2), df=3) > 0.01
    assert stats.kstest(v[:, 2], "uniform", args=(-1.0, 2.0)).pvalue > 0.01
    phi = np.arctan2(v[:, 1], v[:, 0])
    assert stats.kstest(phi, "uniform", args=(-np.pi, 2 * np.pi)).pvalue > 0.01


def test_unit_norms_and_energy_threshold():
    for signal in (False, True):
        sample = simulate_sample(np.random.default_rng(1), signal, DEFAULT)
        assert sample.shape == (500, 4) and sample.dtype == np.float64
        np.testing.assert_allclose(np.linalg.norm(sample[:, :3], axis=1), 1.0, rtol=0, atol=1e-12)
        assert sample[:, 3].min() >= DEFAULT.e_min_eev


def test_energies_follow_the_power_law():
    energy = pooled_events(False, 40, DEFAULT)[:, 3]
    # Maximum-likelihood index of a Pareto law above e_min: 1 + n / sum(ln(E / e_min)).
    gamma_hat = 1 + len(energy) / np.sum(np.log(energy / DEFAULT.e_min_eev))
    assert abs(gamma_hat - DEFAULT.spectral_index) < 0.1
    pareto = stats.pareto(b=DEFAULT.spectral_index - 1, scale=DEFAULT.e_min_eev)
    assert stats.kstest(energy, pareto.cdf).pvalue > 0.01
    # log10(E / e_min) is exponential with mean 1 / ((gamma - 1) ln 10) = 0.2555.
    feature = normalise_energy(energy, DEFAULT.e_min_eev)
    assert feature.min() >= 0
    assert feature.mean() == pytest.approx(1 / (1.7 * np.log(10)), rel=0.03)


def test_street_deflection_is_exactly_deflection_over_energy_without_scatter():
    settings = CRSphereSettings(scatter_deg_eev=0.0, deflection_deg_eev=300.0)
    sky = simulate_sky(np.random.default_rng(4), True, settings)
    from_source = sky.source_index >= 0
    assert np.count_nonzero(from_source) == 125  # round(0.25 * 500)
    assert np.bincount(sky.source_index[from_source]).tolist() == [42, 42, 41]
    events = sky.events[from_source]
    angle = angular_distance(events[:, :3], sky.sources[sky.source_index[from_source]])
    np.testing.assert_allclose(angle, np.radians(300.0) / events[:, 3], rtol=1e-9)
    # Each source's events lie on one great circle through the source (a "street").
    for s, source in enumerate(sky.sources):
        on_street = sky.events[sky.source_index == s, :3]
        normal = np.cross(source, on_street[np.argmax(angular_distance(on_street, source))])
        assert np.abs(on_street @ normal / np.linalg.norm(normal)).max() < 1e-12


def test_scatter_alone_is_a_2d_gaussian_of_width_scatter_over_energy():
    settings = CRSphereSettings(deflection_deg_eev=0.0, signal_fraction=1.0, n_sources=1)
    rng = np.random.default_rng(5)
    scaled = []
    for _ in range(10):
        sky = simulate_sky(rng, True, settings)
        angle = angular_distance(sky.events[:, :3], sky.sources[0])
        scaled.append(angle * sky.events[:, 3] / np.radians(settings.scatter_deg_eev))
    # |2D Gaussian| / sigma is Rayleigh(1): mean of its square is 2.
    scaled = np.concatenate(scaled)
    assert np.mean(scaled**2) == pytest.approx(2.0, rel=0.05)
    assert stats.kstest(scaled, stats.rayleigh.cdf).pvalue > 0.01


def test_signal_events_approach_their_source_with_energy():
    sky = simulate_sky(np.random.default_rng(6), True, DEFAULT)
    from_source = sky.source_index >= 0
    events = sky.events[from_source]
    angle = angular_distance(events[:, :3], sky.sources[sky.source_index[from_source]])
    rho = stats.spearmanr(events[:, 3], angle).statistic
    assert rho < -0.5


def test_signal_skies_have_excess_close_pairs_and_isotropic_skies_do_not():
    alpha = np.radians(5.0)
    expected = 500 * 499 / 2 * (1 - np.cos(alpha)) / 2  # isotropic pairs closer than alpha
    rng = np.random.default_rng(7)
    pairs = {}
    for signal in (False, True):
        counts = []
        for _ in range(10):
            v = simulate_sample(rng, signal, DEFAULT)[:, :3]
            cos = np.clip(v @ v.T, -1.0, 1.0)[np.triu_indices(500, k=1)]
            counts.append(np.count_nonzero(cos > np.cos(alpha)))
        pairs[signal] = np.mean(counts)
    assert abs(pairs[False] - expected) < 5 * np.sqrt(expected / 10)
    assert pairs[True] > 3 * expected


def test_shard_is_balanced_labelled_and_deterministic():
    ds = simulate_shard(10, seed=11, first_id=100, settings=DEFAULT)
    assert ds.x.shape == (10, 500, 4) and ds.x.dtype == np.float32
    assert ds.y.dtype == np.int64 and np.count_nonzero(ds.y) == 5
    np.testing.assert_array_equal(ds.meta["sample_id"], np.arange(100, 110))
    np.testing.assert_array_equal(ds.meta["n_sources"], 3 * ds.y)
    np.testing.assert_allclose(ds.meta["signal_fraction"], 0.25 * ds.y)
    np.testing.assert_array_equal((ds.extra["source_index"] >= 0).sum(axis=1), 125 * ds.y)
    # Source events are spread over the sample, not gathered at its start.
    positions = np.nonzero(ds.extra["source_index"][ds.y == 1] >= 0)[1]
    assert 150 < positions.mean() < 350
    np.testing.assert_allclose(np.linalg.norm(ds.x[..., :3], axis=-1), 1.0, atol=1e-6)
    again = simulate_shard(10, seed=11, first_id=100, settings=DEFAULT)
    assert again.x.tobytes() == ds.x.tobytes() and again.y.tobytes() == ds.y.tobytes()
    other = simulate_shard(10, seed=12, first_id=100, settings=DEFAULT)
    assert other.x.tobytes() != ds.x.tobytes()
    assert simulate_shard(7, seed=1, first_id=0, settings=DEFAULT).y.sum() == 3


def test_shard_meets_the_dataset_contract_and_round_trips(tmp_path):
    settings = CRSphereSettings(n_events=50)
    ds = simulate_shard(4, seed=2, first_id=0, settings=settings)
    ds = stamp_shard(ds, study="crsphere", task="classification", config={"crsphere": "test"})
    check_dataset(ds)
    back = read_dataset(write_dataset(tmp_path / "shard.h5", ds))
    np.testing.assert_array_equal(back.x, ds.x)
    np.testing.assert_array_equal(back.extra["source_index"], ds.extra["source_index"])
    assert back.attrs["class_names"] == ["isotropic", "signal"]
    assert back.attrs["sim_signal_fraction"] == 0.25


def test_invalid_settings_name_the_field():
    with pytest.raises(ValueError, match="signal_fraction"):
        CRSphereSettings(signal_fraction=1.5)
    with pytest.raises(ValueError, match="spectral_index"):
        CRSphereSettings(spectral_index=1.0)


# --- cr_sphere.npz ingest ----------------------------------------------------------------------


@pytest.fixture
def seed_like_arrays() -> tuple[np.ndarray, np.ndarray]:
    ds = simulate_shard(12, seed=5, first_id=0, settings=CRSphereSettings(n_events=30))
    return ds.x.astype(np.float64), ds.y


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_npz_ingest_returns_the_stored_values(tmp_path, seed_like_arrays, save):
    data, label = seed_like_arrays
    path = tmp_path / "cr_sphere.npz"
    save(path, data=data, label=label)
    ds = read_crsphere_npz(path, first_id=50)
    ds = stamp_shard(ds, study="crsphere", task="classification", config={})
    check_dataset(ds)
    np.testing.assert_array_equal(ds.x, data.astype(np.float32))
    np.testing.assert_array_equal(ds.y, label)
    np.testing.assert_array_equal(ds.meta["sample_id"], np.arange(50, 62))
    part = read_crsphere_npz(path, first_id=3, start=4, stop=9)
    np.testing.assert_array_equal(part.x, data[4:9].astype(np.float32))
    np.testing.assert_array_equal(part.y, label[4:9])
    np.testing.assert_array_equal(part.meta["file_row"], np.arange(4, 9))
    np.testing.assert_array_equal(read_crsphere_npz(path, start=10, stop=99).y, label[10:])


@pytest.mark.parametrize("save", [np.savez, np.savez_compressed])
def test_sharded_npz_ingest_covers_every_row_once(tmp_path, seed_like_arrays, save):
    from sim2model.stages.source import source_shard
    from sim2model.studies.crsphere.study import CRSphereStudy

    data, label = seed_like_arrays
    path = tmp_path / "cr_sphere.npz"
    save(path, data=data, label=label)
    assert count_rows(path) == len(label)
    settings = {"source": "npz", "npz": {"path": str(path), "n_shards": 5}}
    planned = CRSphereStudy({"crsphere": settings}).shards("npz")
    assert [shard.inputs for shard in planned] == [(str(path),)] * 5
    shards = [tmp_path / f"{i}.h5" for i in range(5)]
    for one, shard in zip(planned, shards, strict=True):
        source_shard(
            str(shard),
            study="crsphere",
            task="classification",
            build_shard=CRSphereStudy.build_shard,
            plan=one.plan,
            seed=0,
            config={},
            cache_dir=str(tmp_path),
        )
    parts = [read_dataset(shard) for shard in shards]
    np.testing.assert_array_equal(np.concatenate([p.y for p in parts]), label)
    rows = np.concatenate([p.meta["file_row"] for p in parts])
    np.testing.assert_array_equal(rows, np.arange(len(label)))
    np.testing.assert_array_equal(np.concatenate([p.meta["sample_id"] for p in parts]), rows)
    with pytest.raises(CRSphereFileError, match="label"):
        np.savez(tmp_path / "nolabel.npz", data=data)
        count_rows(tmp_path / "nolabel.npz")


def test_npz_one_hot_labels_are_decoded(tmp_path, seed_like_arrays):
    data, label = seed_like_arrays
    path = tmp_path / "one_hot.npz"
    np.savez(path, data=data.astype(np.float32), label=np.eye(2)[label])
    np.testing.assert_array_equal(read_crsphere_npz(path).y, label)


def _bad_files(tmp_path, data, label):
    nan, stretched, wrong_shape = data.copy(), data.copy(), data[..., :3]
    nan[3, 7, 3] = np.nan
    stretched[5, 2, :3] *= 1.01
    bad_label = label.copy()
    bad_label[2] = 2
    cases = {
        "missing_label": ({"data": data}, "label"),
        "missing_data": ({"label": label}, "data"),
        "wrong_shape": ({"data": wrong_shape, "label": label}, "data"),
        "nan": ({"data": nan, "label": label}, "data"),
        "not_unit": ({"data": stretched, "label": label}, "data"),
        "label_two": ({"data": data, "label": bad_label}, "label"),
        "label_length": ({"data": data, "label": label[:-1]}, "label"),
        "label_text": ({"data": data, "label": label.astype(str)}, "label"),
    }
    for name, (arrays, field) in cases.items():
        np.savez(tmp_path / f"{name}.npz", **arrays)
        yield tmp_path / f"{name}.npz", field


def test_malformed_npz_files_are_rejected_naming_file_and_field(tmp_path, seed_like_arrays):
    for path, field in _bad_files(tmp_path, *seed_like_arrays):
        with pytest.raises(CRSphereFileError, match=rf"{path.name}.*'{field}'"):
            read_crsphere_npz(path)


def test_not_an_npz_file_is_rejected(tmp_path, seed_like_arrays):
    text = tmp_path / "notes.npz"
    text.write_text("not a numpy archive\n")
    with pytest.raises(CRSphereFileError, match="notes.npz"):
        read_crsphere_npz(text)
    single = tmp_path / "single.npy"
    np.save(single, seed_like_arrays[0])
    with pytest.raises(CRSphereFileError, match="single.npy.*not an .npz"):
        read_crsphere_npz(single)
    with pytest.raises(CRSphereFileError, match="absent.npz.*does not exist"):
        read_crsphere_npz(tmp_path / "absent.npz")


def test_bad_row_is_reported_with_its_file_row(tmp_path, seed_like_arrays):
    data, label = seed_like_arrays
    data = data.copy()
    data[8, 0, 0] = np.inf
    path = tmp_path / "late_nan.npz"
    np.savez(path, data=data, label=label)
    assert len(read_crsphere_npz(path, stop=8)) == 8
    with pytest.raises(CRSphereFileError, match="'data': row 8 holds NaN"):
        read_crsphere_npz(path, start=6)


# --- figures -----------------------------------------------------------------------------------


def test_vec2ang_follows_the_seed_convention():
    lon, lat = vec2ang(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]))
    np.testing.assert_allclose(lon, [-np.pi / 2, 0.0, 0.0])
    np.testing.assert_allclose(lat, [0.0, np.pi / 2, 0.0])


def test_sky_map_figure_renders(tmp_path):
    rng = np.random.default_rng(8)
    samples = [simulate_sample(rng, signal, DEFAULT) for signal in (False, True)]
    fig = sky_map_figure(samples, ["isotropic", "signal"])
    assert [ax.name for ax in fig.axes[:2]] == ["hammer", "hammer"]
    assert fig.axes[-1].get_xlabel() == "Energy [EeV]"
    img = imread(save_figure(fig, tmp_path / "sky.png"))
    assert img.shape[1] >= 800 and img.std() > 0.01
    with pytest.raises(ValueError, match="titles"):
        sky_map_figure(samples, ["one"])
    normalised = samples[0].copy()
    normalised[:, 3] = normalise_energy(normalised[:, 3], DEFAULT.e_min_eev)
    normalised[0, 3] = 0.0
    with pytest.raises(ValueError, match="log_scale"):
        sky_map_figure([normalised], ["normalised"])
    fig = sky_map_figure([normalised], ["normalised"], energy_label="E", log_scale=False)
    assert fig.axes[-1].get_xlabel() == "E"


def test_test_rows_last_takes_exactly_the_final_npz_rows(tmp_path):
    """As the reference notebook's ``x[-n_test:]``: the test split is the file's final rows."""
    from sim2model.stages.dataset import split_dataset
    from sim2model.stages.source import source_shard
    from sim2model.studies.crsphere.study import CRSphereStudy

    ds = simulate_shard(50, seed=9, first_id=0, settings=CRSphereSettings(n_events=12))
    path = tmp_path / "cr_sphere.npz"
    np.savez(path, data=ds.x.astype(np.float64), label=ds.y)
    settings = {"source": "npz", "npz": {"path": str(path), "n_shards": 3}}
    shards = []
    for planned in CRSphereStudy({"crsphere": settings}).shards("npz"):
        shards.append(str(tmp_path / f"{planned.name}.h5"))
        source_shard(
            shards[-1], study="crsphere", plan=planned.plan, seed=0, config={}, cache_dir=".",
            task="classification",
            build_shard=CRSphereStudy.build_shard,
        )  # fmt: skip
    parts = {name: str(tmp_path / f"{name}.h5") for name in ("train", "val", "test")}
    fractions = {"train": 0.7, "val": 0.1, "test": 0.2}
    split_dataset(
        shards, **parts, norm=str(tmp_path / "norm.json"), fractions=fractions, seed=4,
        image_scaling="none", config={}, test_rows="last",
    )  # fmt: skip
    rows = {name: read_dataset(p).meta["file_row"] for name, p in parts.items()}
    np.testing.assert_array_equal(rows["test"], np.arange(40, 50))
    np.testing.assert_array_equal(read_dataset(parts["test"]).x, ds.x[40:])
    rest = np.concatenate([rows["train"], rows["val"]])
    assert (len(rows["train"]), len(rows["val"])) == (35, 5)
    np.testing.assert_array_equal(np.sort(rest), np.arange(40))
    assert not np.array_equal(rows["train"], np.arange(35))  # train/val are drawn at random
