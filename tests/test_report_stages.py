"""Report stages: run labels and losses come from the rule's params, never from input paths.

Inputs are written under deliberately meaningless names (``a.h5``, ``b.csv``), so a stage that
still parsed a label out of a path would fail here.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread

from sim2model.io.predictions import Predictions, write_predictions
from sim2model.stages import report
from sim2model.studies.galsim import report as galsim_report
from sim2model.studies.turbulence import report as turbulence_report

CE = "sparse_categorical_crossentropy"
CLASSES = ["slow", "fast"]


def capture_figures(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> dict[str, Figure]:
    """Figures ``module`` hands to ``save_figure``, by path (not rendered)."""
    figures: dict[str, Figure] = {}
    monkeypatch.setattr(module, "save_figure", lambda fig, path: figures.setdefault(str(path), fig))
    return figures


def write_history(path: Path, epochs: int = 4) -> str:
    e = np.arange(epochs)
    pd.DataFrame({"epoch": e, "loss": 1 / (e + 1), "val_loss": 2 / (e + 1)}).to_csv(
        path, index=False
    )
    return str(path)


def write_classifier(path: Path, seed: int, n: int = 40) -> str:
    rng = np.random.default_rng(seed)
    y_true = np.arange(n) % 2
    proba = np.clip(0.5 + 0.4 * (2 * y_true - 1) + rng.normal(0, 0.3, n), 0, 1)
    y_pred = np.column_stack([1 - proba, proba])
    meta = {"slice_depth": np.where(np.arange(n) < n // 2, 1, 8)}
    write_predictions(path, Predictions(y_true, y_pred, CLASSES, meta=meta))
    return str(path)


def test_training_curves_label_a_classifier_loss_as_cross_entropy(tmp_path, monkeypatch):
    figures = capture_figures(monkeypatch, report)
    out = str(tmp_path / "curves.png")
    report.training_curves(
        [write_history(tmp_path / "a.csv")], out, labels=["simulate / dgcnn"], losses=[CE]
    )
    (ax,) = figures[out].axes
    assert "MSE" not in ax.get_ylabel()
    assert ax.get_ylabel() == "Cross-entropy loss"
    assert [line.get_label() for line in ax.get_lines()] == [
        "simulate / dgcnn: train",
        "simulate / dgcnn: validation",
    ]


def test_training_curves_give_each_loss_its_own_axis(tmp_path, monkeypatch):
    figures = capture_figures(monkeypatch, report)
    out = str(tmp_path / "curves.png")
    histories = [write_history(tmp_path / f"{name}.csv") for name in "abc"]
    labels = ["transport / cnn", "ecr / unet", "flattened / cnn"]
    report.training_curves(histories, out, labels=labels, losses=[CE, "mse", CE])
    classifier, image2image = figures[out].axes
    assert classifier.get_ylabel() == "Cross-entropy loss"
    assert image2image.get_ylabel() == "MSE loss (normalised targets)"
    runs = {
        ax.get_ylabel(): [line.get_label() for line in ax.get_lines()][::2]
        for ax in (classifier, image2image)
    }
    assert runs == {
        "Cross-entropy loss": ["transport / cnn: train", "flattened / cnn: train"],
        "MSE loss (normalised targets)": ["ecr / unet: train"],
    }


def test_training_curves_write_a_png(tmp_path):
    out = tmp_path / "figures" / "training_curves.png"
    report.training_curves(
        [write_history(tmp_path / "a.csv")], str(out), labels=["v1 / xception"], losses=["mse"]
    )
    assert imread(out).std() > 0.01


def test_training_curves_need_one_label_and_loss_per_history(tmp_path):
    history = write_history(tmp_path / "a.csv")
    with pytest.raises(ValueError, match="1 inputs"):
        report.training_curves([history], "x.png", labels=["a", "b"], losses=["mse"])
    with pytest.raises(ValueError, match="losses"):
        report.training_curves([history], "x.png", labels=["a"], losses=["mse", "mse"])
    with pytest.raises(ValueError, match="unique"):
        report.training_curves([history, history], "x.png", labels=["a", "a"], losses=[CE, CE])


def test_classification_table_rows_are_named_by_the_labels(tmp_path):
    paths = [write_classifier(tmp_path / f"{name}.h5", seed) for seed, name in enumerate("ab")]
    csv, md = tmp_path / "table.csv", tmp_path / "table.md"
    report.classification_table(
        paths, str(csv), str(md), labels=["transport/cnn", "flattened/cnn"], caption="Data: X."
    )
    table = pd.read_csv(csv, index_col="run")
    assert list(table.index) == ["transport/cnn", "flattened/cnn"]
    assert "transport/cnn" in md.read_text() and "Data: X." in md.read_text()


def test_roc_curves_are_named_by_the_labels(tmp_path, monkeypatch):
    figures = capture_figures(monkeypatch, report)
    paths = [write_classifier(tmp_path / f"{name}.h5", seed) for seed, name in enumerate("ab")]
    report.roc_curves(paths, "roc.png", labels=["render/mlp", "render/cnn"])
    names = [t.get_text() for t in figures["roc.png"].axes[0].get_legend().get_texts()]
    assert [n.split(" (")[0] for n in names] == ["render/mlp", "render/cnn", "Chance"]


def test_turbulence_tables_columns_and_runs_are_named_by_the_labels(tmp_path, monkeypatch):
    capture_figures(monkeypatch, turbulence_report)
    classifiers = [write_classifier(tmp_path / f"{n}.h5", seed) for seed, n in enumerate("ab")]
    metrics = tmp_path / "m.csv"
    pd.DataFrame({"r": [0.9]}, index=pd.Index(["all"], name="split")).to_csv(metrics)
    out = {
        name: str(tmp_path / f"{name}.out") for name in ("acc_csv", "acc_md", "i2i_csv", "i2i_md")
    }
    turbulence_report.turbulence_tables(
        classifiers, [str(metrics)], out["acc_csv"], out["acc_md"], "acc.png",
        out["i2i_csv"], out["i2i_md"],
        classification_labels=["transport/cnn", "flattened/cnn"],
        image2image_labels=["ecr/unet"], caption="Data: Y.",
    )  # fmt: skip
    assert "Data: Y." in Path(out["acc_md"]).read_text()
    accuracy = pd.read_csv(out["acc_csv"], index_col=0)
    assert list(accuracy.columns) == [
        "transport/cnn slices",
        "transport/cnn projections",
        "flattened/cnn slices",
        "flattened/cnn projections",
    ]
    assert list(pd.read_csv(out["i2i_csv"])["run"]) == ["ecr/unet"]


def test_galsim_tables_name_runs_and_test_sets_by_the_params(tmp_path):
    targets = ["flux", "g1"]
    metrics = tmp_path / "a.json"
    metrics.write_text(json.dumps({"targets": {"flux": {"rmse": 10.0}, "g1": {"rmse": 0.1}}}))
    truth = np.tile([1.0e5, 0.1], (8, 1))
    testset = tmp_path / "b.h5"
    write_predictions(testset, Predictions(truth, truth + 0.5, targets))
    baseline = tmp_path / "c.csv"
    pd.DataFrame({"sample_id": range(3), "flux": 1.0e5 + 2.0, "g1": 0.2}).to_csv(
        baseline, index=False
    )
    crb = tmp_path / "crb.csv"
    pd.DataFrame(
        {"testset": "snr30", "target": targets, "crb": [1.0, 0.01], "noise": "ccd",
         "crb_gaussian": [0.9, 0.009], "crb_ccd": [1.0, 0.01], "poisson_shift": 0.11}
    ).to_csv(crb, index=False)  # fmt: skip
    denoise = tmp_path / "d.json"
    denoise.write_text(json.dumps(
        {"targets": {"flux": {"rmse": 8.0}, "g1": {"rmse": 0.09}},
         "psnr": {"noisy_db": 20.0, "denoised_db": 23.5, "gain_db": 3.5, "n_images": 4},
         "parameters": {"denoiser": 1000, "regressor": 50}}
    ))  # fmt: skip
    names = ("rmse_csv", "rmse_md", "crb_csv", "crb_md", "denoise_csv", "denoise_md")
    out = {n: str(tmp_path / f"{n}.out") for n in names}
    galsim_report.galsim_tables(
        [str(metrics)], [str(testset)], [str(baseline)], str(crb), **out,
        crb_figure=str(tmp_path / "crb.png"),
        rmse_runs=[("v2", "xception", "test")],
        testset_runs=[("v2", "xception", "snr30")],
        baseline_sets=["snr30"], caption="Data: Z.",
        denoise=[str(denoise)], denoise_runs=[("v2", "edsr", "xception")],
        autoencoder=[str(testset)], autoencoder_runs=[("v2", "autoencoder", "test")],
        autoencoder_csv=str(tmp_path / "ae.csv"), autoencoder_md=str(tmp_path / "ae.md"),
    )  # fmt: skip
    autoencoder = pd.read_csv(tmp_path / "ae.csv")
    assert list(autoencoder["target"]) == targets and list(autoencoder["bias"]) == [0.5, 0.5]
    assert "Data: Z." in Path(out["rmse_md"]).read_text()
    denoisers = pd.read_csv(out["denoise_csv"])
    assert denoisers.loc[0, "psnr_gain_db"] == 3.5 and denoisers.loc[0, "total_parameters"] == 1050
    crb_md = Path(out["crb_md"]).read_text()
    assert "Poisson + Gaussian" in crb_md  # says which noise it bounds
    header = crb_md.splitlines()[2]
    assert header.index("CRB") < header.index("L-BFGS-B fit bias") < header.index("xception bias")
    rmse = pd.read_csv(out["rmse_csv"])
    assert rmse.to_dict("records") == [
        {"variant": "v2", "model": "xception", "flux": 10.0, "g1": 0.1},
        {"variant": "v2 via edsr", "model": "xception", "flux": 8.0, "g1": 0.09},
    ]
    assert "flux (xception)" in Path(out["rmse_md"]).read_text()  # one column per model
    comparison = pd.read_csv(out["crb_csv"])
    assert set(comparison["testset"]) == {"snr30"}
    assert list(comparison["estimator"]) == ["xception", "xception", "L-BFGS-B fit", "L-BFGS-B fit"]
    assert comparison["crb"].notna().all()  # the bound was matched by test-set name
    fit = comparison[comparison["estimator"] == "L-BFGS-B fit"].set_index("target")
    assert fit.loc["g1", "bias"] == pytest.approx(0.1)
    assert (tmp_path / "crb.png").is_file()


def test_explained_variance_metrics_by_hand():
    # target a: truth 0, 2, 4, 6 (var 5); residual 1, -1, 1, 3 (mean 1, var 2, mse 3)
    # target b: truth 1, 1, 3, 3 (var 1); residual 0, 0, 0, 0
    truth = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 3.0], [6.0, 3.0]])
    pred = truth + np.array([[1.0, 0.0], [-1.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    table = galsim_report.explained_variance_metrics(truth, pred, ["a", "b"])
    assert table.loc["a"].to_dict() == pytest.approx(
        {"bias": 1.0, "rmse": np.sqrt(3.0), "unexplained_variance": 2 / 5,
         "explained_variance": 1 - 2 / 5}
    )  # fmt: skip
    assert table.loc["b"].to_dict() == pytest.approx(
        {"bias": 0.0, "rmse": 0.0, "unexplained_variance": 0.0, "explained_variance": 1.0}
    )
    # a bias alone explains everything (the residual has no variance), unlike R^2
    shifted = galsim_report.explained_variance_metrics(truth, truth + 5.0, ["a", "b"])
    assert list(shifted["explained_variance"]) == [1.0, 1.0] and list(shifted["bias"]) == [5, 5]
    constant = galsim_report.explained_variance_metrics(np.ones((3, 1)), np.zeros((3, 1)), ["c"])
    assert np.isnan(constant.loc["c", "explained_variance"])
    with pytest.raises(ValueError, match="targets"):
        galsim_report.explained_variance_metrics(truth, pred, ["a"])


def test_galsim_tables_write_the_autoencoder_table_per_dataset(tmp_path):
    truth = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 3.0], [6.0, 3.0]])
    paths = []
    for name, shift in (("a.h5", 1.0), ("b.h5", 0.0)):
        paths.append(str(tmp_path / name))
        write_predictions(paths[-1], Predictions(truth, truth + shift, ["flux", "g1"]))
    runs = [("v1", "autoencoder", "test"), ("v2", "autoencoder", "test")]
    table = galsim_report.autoencoder_metrics_table(paths, runs)
    assert list(table.columns) == [
        "variant", "model", "target", "bias", "rmse", "unexplained_variance",
        "explained_variance",
    ]  # fmt: skip
    assert list(table["variant"]) == ["v1", "v1", "v2", "v2"]
    assert list(table["bias"]) == [1.0, 1.0, 0.0, 0.0]
    csv, md = tmp_path / "ae.csv", tmp_path / "ae.md"
    galsim_report.write_autoencoder_metrics(table, str(csv), str(md), "Data: Z.")
    pd.testing.assert_frame_equal(pd.read_csv(csv), table, check_dtype=False)
    text = md.read_text()
    assert "Data: Z." in text and "### v1 (autoencoder)" in text and "### v2 (autoencoder)" in text
    assert "Explained variance" in text.splitlines()[4]  # the first table's header
    with pytest.raises(ValueError, match="runs"):
        galsim_report.autoencoder_metrics_table(paths, runs[:1])
    empty = galsim_report.autoencoder_metrics_table([], [])
    galsim_report.write_autoencoder_metrics(empty, str(csv), str(md), "Data: Z.")
    assert "No conditional autoencoder" in md.read_text()


def test_galsim_tables_need_one_run_per_input(tmp_path):
    with pytest.raises(ValueError, match="runs"):
        galsim_report.rmse_table(["a.json", "b.json"], [("v1", "xception", "test")])
