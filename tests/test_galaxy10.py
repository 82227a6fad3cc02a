"""Galaxy10 SDSS ingest (public HDF5, the reference's pickles) and the GalSim-rendered stand-in."""

import gzip
import pickle

import h5py
import numpy as np
import pytest
from scipy.ndimage import uniform_filter
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sim2model.io.dataset import check_dataset
from sim2model.stages.source import stamp_shard
from sim2model.studies.galaxy10 import readers as galaxy10
from sim2model.studies.galaxy10.readers import (
    CLASS_NAMES,
    REFERENCE_CLASSES,
    Galaxy10FileError,
    read_galaxy10_h5,
    read_galaxy10_pickle,
)
from sim2model.studies.galaxy10.render import (
    META_KEYS,
    RenderSettings,
    add_noise,
    asinh_stretch,
    draw_params,
    render_galaxy10_like,
    render_noiseless,
)

REMAP = {0: 0, 1: 1, 2: 2, 4: 3, 7: 4}


def public_images(n=40, seed=0):
    """Random uint8 images and ``ans`` cycling through all ten Galaxy10 classes."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 69, 69, 3), dtype=np.uint8)
    return images, np.arange(n) % 10


def write_h5(path, images, ans, **more):
    with h5py.File(path, "w") as f:
        if images is not None:
            f.create_dataset("images", data=images)
        if ans is not None:
            f.create_dataset("ans", data=ans)
        for name, values in more.items():
            f.create_dataset(name, data=values)
    return path


def write_pickle(path, content, compress=True):
    with gzip.open(path, "wb", compresslevel=1) if compress else open(path, "wb") as f:
        pickle.dump(content, f)
    return path


def reference_split(n_train=12, n_test=7, bands=1, seed=1, dtype=np.uint8):
    """The reference's 4-tuple: images of 0..255 values and one-hot labels."""
    rng = np.random.default_rng(seed)
    parts = []
    for n in (n_train, n_test):
        images = rng.integers(0, 256, size=(n, 69, 69, bands)).astype(dtype)
        parts += [images, np.eye(5)[np.arange(n) % 5]]
    return tuple(parts)


# --- HDF5 ingest -------------------------------------------------------------------------------


@pytest.mark.parametrize("bands", ["g", "gri"])
def test_h5_keeps_the_seed_classes_remapped_with_exact_pixels(tmp_path, bands):
    images, ans = public_images()
    ds = read_galaxy10_h5(write_h5(tmp_path / "Galaxy10.h5", images, ans), bands=bands, first_id=7)
    rows = np.flatnonzero(np.isin(ans, REFERENCE_CLASSES))
    assert len(ds) == 20  # 4 of each of the five kept classes
    np.testing.assert_array_equal(ds.y, [REMAP[a] for a in ans[rows]])
    np.testing.assert_array_equal(ds.meta["galaxy10_class"], ans[rows])
    np.testing.assert_array_equal(ds.meta["source_index"], rows)
    np.testing.assert_array_equal(ds.meta["sample_id"], 7 + np.arange(20))
    channels = 1 if bands == "g" else 3
    assert ds.x.shape == (20, 69, 69, channels) and ds.x.dtype == np.float32
    assert ds.y.dtype == np.int64
    np.testing.assert_array_equal(ds.x, images[rows][..., :channels] / 256.0)
    assert ds.attrs["class_names"] == list(CLASS_NAMES) and ds.attrs["target_names"] == []
    assert ds.attrs["bands"] == bands and "study" not in ds.attrs  # source_shard stamps it
    check_dataset(stamp_shard(ds, study="galaxy10", task="classification", config={}))


def test_h5_chunked_read_equals_one_read(tmp_path, monkeypatch):
    images, ans = public_images(n=53, seed=3)
    path = write_h5(tmp_path / "g.h5", images, ans)
    whole = read_galaxy10_h5(path, bands="gri")
    monkeypatch.setattr(galaxy10, "CHUNK_ROWS", 7)
    chunked = read_galaxy10_h5(path, bands="gri")
    np.testing.assert_array_equal(chunked.x, whole.x)
    np.testing.assert_array_equal(chunked.meta["source_index"], whole.meta["source_index"])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda i, a: (None, a), "field 'images' missing"),
        (lambda i, a: (i, None), "field 'ans' missing"),
        (lambda i, a: (i[..., :1], a), r"field 'images' has shape \(40, 69, 69, 1\)"),
        (lambda i, a: (i[:, :64, :64], a), r"field 'images' has shape \(40, 64, 64, 3\)"),
        (lambda i, a: (i, a[:39]), r"field 'ans' has shape \(39,\), expected \(40,\)"),
        (lambda i, a: (i, np.where(np.arange(40) == 5, 10, a)), "field 'ans', row 5: class id 10"),
        (lambda i, a: (i, np.where(np.arange(40) == 3, -1, a)), "field 'ans', row 3: class id -1"),
        (lambda i, a: (i, a + 0.5), "field 'ans', row 0"),
        (lambda i, a: (i.astype(float) * 1.1, a), "field 'images', row [0-9]+: pixel values"),
        (lambda i, a: (i, np.full(40, 3)), "field 'ans' holds none of the classes"),
    ],
)
def test_malformed_h5_names_file_and_field(tmp_path, make, message):
    path = write_h5(tmp_path / "bad.h5", *make(*public_images()))
    with pytest.raises(Galaxy10FileError, match=message) as err:
        read_galaxy10_h5(path)
    assert str(path) in str(err.value)


def test_missing_or_non_hdf5_file(tmp_path):
    with pytest.raises(Galaxy10FileError, match="does not exist"):
        read_galaxy10_h5(tmp_path / "absent.h5")
    text = tmp_path / "text.h5"
    text.write_text("not hdf5")
    with pytest.raises(Galaxy10FileError, match=f"{text}: not an HDF5 file"):
        read_galaxy10_h5(text)


def test_unknown_bands_option(tmp_path):
    path = write_h5(tmp_path / "g.h5", *public_images())
    with pytest.raises(ValueError, match="option 'bands'"):
        read_galaxy10_h5(path, bands="ugriz")


# --- pickle ingest -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compress", "integer_labels", "dtype"),
    [
        (True, False, np.float64),
        (False, False, np.uint8),
        (True, True, np.uint8),
        (False, True, int),
    ],
)
def test_pickle_train_and_test_values(tmp_path, compress, integer_labels, dtype):
    content = list(reference_split(dtype=dtype))
    if integer_labels:
        content[1], content[3] = np.argmax(content[1], 1), np.argmax(content[3], 1)
    path = write_pickle(tmp_path / "dataG.pkl.gz", tuple(content), compress)
    train, test = read_galaxy10_pickle(path, first_id=100)
    for ds, images, split in ((train, content[0], 0), (test, content[2], 1)):
        np.testing.assert_array_equal(ds.x, (images / 256.0).astype(np.float32))
        np.testing.assert_array_equal(ds.y, np.arange(len(ds)) % 5)
        np.testing.assert_array_equal(ds.meta["galaxy10_class"], np.take(REFERENCE_CLASSES, ds.y))
        np.testing.assert_array_equal(ds.meta["source_index"], np.arange(len(ds)))
        assert set(ds.meta["source_split"]) == {split}
    np.testing.assert_array_equal(train.meta["sample_id"], 100 + np.arange(12))
    np.testing.assert_array_equal(test.meta["sample_id"], 112 + np.arange(7))
    assert (train.attrs["source_split"], test.attrs["source_split"]) == ("train", "test")


def test_three_band_pickle_selects_bands(tmp_path):
    content = reference_split(bands=3)
    path = write_pickle(tmp_path / "data.pkl", content, compress=False)
    g, _ = read_galaxy10_pickle(path, bands="g")
    gri, _ = read_galaxy10_pickle(path, bands="gri")
    assert g.x.shape == (12, 69, 69, 1) and gri.x.shape == (12, 69, 69, 3)
    np.testing.assert_array_equal(gri.x, content[0] / 256.0)
    np.testing.assert_array_equal(g.x[..., 0], gri.x[..., 0])


def bad(index, value):
    """The reference split with element ``index`` replaced by ``value``."""
    content = list(reference_split())
    content[index] = value(content[index]) if callable(value) else value
    return tuple(content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (reference_split()[:3], "holds a tuple of length 3, expected a 4-tuple"),
        ({"train": 1}, "holds a dict, expected a 4-tuple"),
        (bad(1, lambda y: np.vstack([y[:4], [1, 1, 0, 0, 0], y[5:]])), "'train_labels', row 4"),
        (bad(3, lambda y: np.vstack([np.zeros((1, 5)), y[1:]])), "'test_labels', row 0: one-hot"),
        (bad(3, lambda y: np.argmax(y, 1) + 1), "'test_labels', row 4: class id 5"),
        (bad(1, lambda y: y[:-1]), "'train_labels' has 11 labels but its images have 12"),
        (bad(1, lambda y: y[:, :4]), r"'train_labels' has shape \(12, 4\)"),
        (bad(0, lambda x: x[:, :68]), r"'train_images_raw' has shape \(12, 68, 69, 1\)"),
        (bad(2, lambda x: np.concatenate([x, x], axis=3)), "'test_images_raw' has 2 bands"),
        (
            bad(
                2,
                lambda x: np.where(np.arange(7)[:, None, None, None] == 6, 256, x.astype(np.int16)),
            ),
            "row 6",
        ),
        (bad(0, lambda x: x + 0.5), "'train_images_raw', row 0: pixel values must be whole"),
        (bad(0, lambda x: x.astype(str)), "'train_images_raw' is not numeric"),
    ],
)
def test_malformed_pickle_names_file_and_field(tmp_path, content, message):
    path = write_pickle(tmp_path / "bad.pkl.gz", content)
    with pytest.raises(Galaxy10FileError, match=message) as err:
        read_galaxy10_pickle(path)
    assert str(path) in str(err.value)


def test_pickle_file_problems(tmp_path):
    with pytest.raises(Galaxy10FileError, match="does not exist"):
        read_galaxy10_pickle(tmp_path / "absent.pkl")
    for name, data in (("text.pkl", b"not a pickle"), ("junk.pkl.gz", gzip.compress(b"junk"))):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(Galaxy10FileError, match=f"{tmp_path / name}: not a"):
            read_galaxy10_pickle(tmp_path / name)
    one_band = write_pickle(tmp_path / "dataG.pkl.gz", reference_split())
    with pytest.raises(Galaxy10FileError, match="'train_images_raw' holds the g band only"):
        read_galaxy10_pickle(one_band, bands="gri")


# --- renderer: format ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rendered():
    """500 default renders (g band): the shared sample of the format and separability tests."""
    return render_galaxy10_like(500, seed=3, first_id=1000)


def test_rendered_format_and_balance(rendered):
    ds = rendered
    assert ds.x.shape == (500, 69, 69, 1) and ds.x.dtype == np.float32
    assert ds.x.min() >= 0 and ds.x.max() < 1
    quantised = ds.x * 256
    np.testing.assert_array_equal(quantised, np.round(quantised))  # uint8 / 256, like the seed
    np.testing.assert_array_equal(np.bincount(ds.y), [100] * 5)
    assert not np.array_equal(ds.y[:100], np.sort(ds.y[:100]))  # shuffled
    np.testing.assert_array_equal(ds.meta["sample_id"], 1000 + np.arange(500))
    np.testing.assert_array_equal(ds.meta["galaxy10_class"], np.take(REFERENCE_CLASSES, ds.y))
    assert set(META_KEYS) < set(ds.meta) and {"flux", "seed", "source_index"} < set(ds.meta)
    smooth = np.isin(ds.y, [1, 2])
    assert np.isnan(ds.meta["inclination"][smooth]).all()
    assert np.isfinite(ds.meta["inclination"][~smooth]).all()
    assert (ds.meta["spiral_amplitude"][ds.y != 4] == 0).all()
    check_dataset(stamp_shard(ds, study="galaxy10", task="classification", config={}))


def test_render_counts_differ_by_at_most_one_and_gri_has_three_bands():
    ds = render_galaxy10_like(13, seed=0, bands="gri")
    assert ds.x.shape == (13, 69, 69, 3)
    assert sorted(np.bincount(ds.y, minlength=5)) == [2, 2, 3, 3, 3]


def test_render_is_deterministic_by_seed():
    a, b = (render_galaxy10_like(10, seed=5) for _ in range(2))
    c = render_galaxy10_like(10, seed=6)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    for key in a.meta:
        np.testing.assert_array_equal(a.meta[key], b.meta[key])
    assert not np.array_equal(a.x, c.x)


def test_bad_render_arguments():
    with pytest.raises(ValueError, match="option 'bands'"):
        render_galaxy10_like(2, seed=0, bands="rgb")
    with pytest.raises(ValueError, match="n_samples"):
        render_galaxy10_like(-1, seed=0)
    with pytest.raises(ValueError, match="RenderSettings.snr"):
        RenderSettings(snr=(50.0, 10.0))
    with pytest.raises(ValueError, match="label must be in 0..4"):
        draw_params(np.random.default_rng(0), 5, RenderSettings())


# --- renderer: noise and stretch ---------------------------------------------------------------


def test_noise_variance_is_sky_plus_read_noise_squared():
    noisy = add_noise(np.zeros((300, 300, 2)), sky_level=100.0, read_noise=5.0, seed=1)
    assert abs(noisy.mean()) < 0.1
    np.testing.assert_allclose(noisy.var(axis=(0, 1)), 125.0, rtol=0.03)  # Poisson + Gaussian
    np.testing.assert_array_equal(
        noisy[..., 0], add_noise(np.zeros((300, 300, 1)), 100, 5, 1)[..., 0]
    )


def test_asinh_stretch_known_values():
    image = np.zeros((9, 9, 1))
    image[3:6, 3:6] = 1.0  # smoothed peak 1 at the centre
    image[0, 0], image[0, 8], image[8, 8] = 0.1, 2.0, -1.0
    out = asinh_stretch(image, softening=10.0)
    assert out.dtype == np.uint8
    assert out[4, 4, 0] == 255 and out[0, 8, 0] == 255  # the peak and above (clipped)
    assert out[8, 8, 0] == 0 and out[1, 1, 0] == 0
    assert out[0, 0, 0] == round(255 * np.arcsinh(1.0) / np.arcsinh(10.0))  # 75


# --- renderer: physics per class on noiseless images ---------------------------------------------


def moments(image):
    """Centroid offsets (dx, dy) and second-moment matrix of a non-negative image."""
    y, x = np.indices(image.shape, dtype=float)
    total = image.sum()
    dx, dy = x - (image * x).sum() / total, y - (image * y).sum() / total
    cov = (
        np.array(
            [
                [(image * dx * dx).sum(), (image * dx * dy).sum()],
                [(image * dx * dy).sum(), (image * dy * dy).sum()],
            ]
        )
        / total
    )
    return dx, dy, cov


def axis_ratio(image):
    low, high = np.linalg.eigvalsh(moments(image)[2])
    return np.sqrt(low / high)


def m2_residual(image):
    """Mean |m=2 Fourier amplitude| / m=0 in annuli of the whitened (de-ellipsed) image."""
    dx, dy, cov = moments(image)
    u = np.linalg.solve(np.linalg.cholesky(cov), np.stack([dx.ravel(), dy.ravel()]))
    rho, theta, w = np.hypot(*u), np.arctan2(u[1], u[0]), image.ravel()
    edges = np.arange(1.0, 3.01, 0.25)
    return np.mean(
        [
            abs((w[s] * np.exp(2j * theta[s])).sum()) / w[s].sum()
            for s in (
                (rho >= lo) & (rho < hi) for lo, hi in zip(edges[:-1], edges[1:], strict=True)
            )
        ]
    )


def circular_half_light_radius(image):
    dx, dy, _ = moments(image)
    r = np.hypot(dx, dy).ravel()
    order = np.argsort(r)
    return r[order][np.searchsorted(np.cumsum(image.ravel()[order]), image.sum() / 2)]


@pytest.fixture(scope="module")
def noiseless():
    """30 noiseless gri renders per class: (params, image in counts, g flux)."""
    rng, settings = np.random.default_rng(11), RenderSettings()
    return {
        label: [
            (p, *render_noiseless(p, settings, "gri"))
            for p in (draw_params(rng, label, settings) for _ in range(30))
        ]
        for label in range(5)
    }


def class_mean(noiseless, label, measure):
    return np.mean([measure(image[..., 0]) for _, image, _ in noiseless[label]])


def test_axis_ratios_per_class(noiseless):
    q = {label: class_mean(noiseless, label, axis_ratio) for label in range(5)}
    assert q[1] > 0.85  # smooth round: intrinsic 0.85-1, the PSF only rounds it more
    assert 0.55 < q[2] < 0.8  # in-between: intrinsic 0.5-0.8
    assert q[3] < 0.45 and q[3] < q[1] - 0.4  # edge-on disk with a round bulge
    assert q[2] < q[0] and q[2] < q[4]  # face-on disks are rounder than in-between spheroids


def test_spiral_arms_add_m2_structure(noiseless):
    disk, spiral = (class_mean(noiseless, label, m2_residual) for label in (0, 4))
    assert spiral > 2 * disk


def test_sizes_fluxes_snr_and_colours(noiseless):
    settings = RenderSettings()
    pixel = settings.pixel_scale
    for label, renders in noiseless.items():
        for p, image, flux in renders:
            g = image[..., 0]
            assert 0.9 * flux < g.sum() <= flux * 1.0001  # only far wings leave the stamp
            sigma = np.sqrt(p.sky_level + settings.read_noise**2)
            np.testing.assert_allclose(np.sqrt(np.sum(g**2)) / sigma, p.snr, rtol=1e-9)
            if label == 1:  # nearly round de Vaucouleurs-like: measured ~ true half-light radius
                ratio = circular_half_light_radius(g) * pixel / p.half_light_radius
                assert 0.9 < ratio < 1.2
    i_over_g = {
        label: np.mean([im[..., 2].sum() / im[..., 0].sum() for _, im, _ in renders])
        for label, renders in noiseless.items()
    }
    assert min(i_over_g[1], i_over_g[2]) > max(i_over_g[0], i_over_g[3], i_over_g[4])  # red


# --- renderer: separability --------------------------------------------------------------------


def isophote_features(image):
    """Axis ratio and size of the light above 50% and 25% of the smoothed peak."""
    smooth = uniform_filter(image, 3)
    features = []
    for level in (0.5, 0.25):
        low, high = np.linalg.eigvalsh(
            moments(np.where(smooth > level * smooth.max(), smooth, 0.0))[2]
        )
        features += [np.sqrt(low / high), np.sqrt(low + high)]
    return features


def test_classes_separable_but_overlapping(rendered):
    features = np.array([isophote_features(image[..., 0]) for image in rendered.x])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    accuracy = cross_val_score(model, features, rendered.y, cv=5).mean()
    assert 0.45 < accuracy < 0.9  # chance is 0.2


def test_the_pickles_own_test_set_is_kept_and_val_is_cut_from_its_training_part(tmp_path):
    from sim2model.io.dataset import read_dataset
    from sim2model.stages.dataset import split_dataset
    from sim2model.stages.source import source_shard
    from sim2model.studies.galaxy10.study import Galaxy10Study

    path = write_pickle(tmp_path / "dataG.pkl.gz", reference_split(n_train=40, n_test=9))
    config = {
        "dataset": {"fractions": {"train": 0.8, "val": 0.1, "test": 0.1}},
        "galaxy10": {"source": "pickle", "bands": "g", "pickle": {"path": str(path)}},
    }
    study = Galaxy10Study(config)
    settings = study.dataset_settings("pickle")
    assert settings["test_rows"] == "source" and "source's own test set" in study.describe()
    (planned,) = study.shards("pickle")
    shard = str(tmp_path / "0000.h5")
    source_shard(
        shard, study="galaxy10", plan=planned.plan, seed=0, config={}, cache_dir=".",
        task="classification", build_shard=Galaxy10Study.build_shard,
    )  # fmt: skip
    out = {k: str(tmp_path / f"{k}.h5") for k in ("train", "val", "test")}
    split_dataset(
        [shard], **out, norm=str(tmp_path / "n.json"), fractions=settings["fractions"], seed=3,
        image_scaling="none", config={}, test_rows=settings["test_rows"],
    )  # fmt: skip
    parts = {k: read_dataset(p) for k, p in out.items()}
    assert set(parts["test"].meta["source_split"]) == {1}
    np.testing.assert_array_equal(parts["test"].meta["source_index"], np.arange(9))
    assert set(np.concatenate([parts[k].meta["source_split"] for k in ("train", "val")])) == {0}
    assert (len(parts["train"]), len(parts["val"])) == (35, 5)  # 40 in the ratio 0.8 : 0.1
