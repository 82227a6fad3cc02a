"""GalSim study report: the reference's RMSE table, the Cramér–Rao comparison, the autoencoder's
bias / RMSE / explained-variance table, example stamps.

The rule passes the ``(variant, model, evalset)`` of each evaluation input, the test set of each
baseline fit and the variant of each dataset, in input order; no name is read from a path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim2model.eval.metrics import regression_metrics
from sim2model.io.dataset import read_dataset
from sim2model.io.predictions import read_predictions
from sim2model.plots.regression import bias_std_vs_bound_figure
from sim2model.plots.style import display_name, save_figure
from sim2model.studies.galsim.figures import example_stamps_figure
from sim2model.tables import with_blanks

#: The reference reports flux in units of 1e5 counts in its Cramér–Rao table.
FLUX_UNIT = 1e5


#: (variant, model, evalset) of one evaluation output.
EvalRun = Sequence[str]


def _check_count(what: str, keys: Sequence[object], paths: Sequence[str]) -> None:
    if len(keys) != len(paths):
        raise ValueError(f"{len(keys)} {what} {list(keys)} for {len(paths)} inputs {list(paths)}")


def rmse_table(metrics: Sequence[str], runs: Sequence[EvalRun]) -> pd.DataFrame:
    """RMSE per target in original units: one row per (variant, model), as the reference's table.

    ``runs[i]`` is the ``(variant, model, evalset)`` of ``metrics[i]``.
    """
    _check_count("runs", runs, metrics)
    rows = []
    for path, (variant, model, _) in zip(metrics, runs, strict=True):
        targets = json.loads(Path(path).read_text())["targets"]
        rows.append(
            {"variant": variant, "model": model} | {t: v["rmse"] for t, v in targets.items()}
        )
    return pd.DataFrame(rows)


def wide_rmse(table: pd.DataFrame) -> pd.DataFrame:
    """The tidy RMSE table with one row per variant and columns ``<target> (<model>)``."""
    targets = [c for c in table.columns if c not in ("variant", "model")]
    wide = table.pivot_table(index="variant", columns="model", values=targets, sort=False)
    models = list(dict.fromkeys(table["model"]))
    columns = [(t, m) for t in targets for m in models if (t, m) in wide.columns]
    wide = wide[columns]
    wide.columns = [f"{t} ({m})" for t, m in columns]
    return wide.reindex(list(dict.fromkeys(table["variant"])))


def crb_comparison(
    testsets: Sequence[str],
    baseline: Sequence[str],
    crb: str,
    *,
    testset_runs: Sequence[EvalRun],
    baseline_sets: Sequence[str],
) -> pd.DataFrame:
    """Tidy table: bias and std of each estimator beside the CRB, per test set and target.

    A neural posterior's rows are those of its posterior mean, with ``posterior_std`` the mean
    of its per-stamp posterior standard deviations (NaN for point estimators): an efficient,
    calibrated posterior has ``posterior_std`` near ``std`` and both near the bound.

    ``testset_runs[i]`` is the ``(variant, model, evalset)`` of the predictions
    ``testsets[i]``; ``baseline_sets[i]`` is the test set the fits ``baseline[i]`` were made
    on. Flux columns are in units of 1e5 counts, as in the reference.
    """
    _check_count("test-set runs", testset_runs, testsets)
    _check_count("baseline test sets", baseline_sets, baseline)
    bound = pd.read_csv(crb)
    rows = []
    for path, (_, model, testset) in zip(testsets, testset_runs, strict=True):
        pred = read_predictions(path)
        for j, target in enumerate(pred.target_names):
            err = pred.y_pred[:, j].astype(np.float64) - pred.y_true[:, j]
            posterior_std = np.nan if pred.y_std is None else float(pred.y_std[:, j].mean())
            rows.append(
                {"testset": testset, "target": target, "estimator": model,
                 "bias": err.mean(), "std": err.std(), "posterior_std": posterior_std,
                 "n": len(err)}
            )  # fmt: skip
    for path, testset in zip(baseline, baseline_sets, strict=True):
        fits = pd.read_csv(path)
        truth = read_predictions(
            next(p for p, run in zip(testsets, testset_runs, strict=True) if run[2] == testset)
        ).y_true[0]
        for j, target in enumerate(fits.columns[1:]):
            err = fits[target].to_numpy() - truth[j]
            rows.append(
                {"testset": testset, "target": target, "estimator": "L-BFGS-B fit",
                 "bias": err.mean(), "std": err.std(), "n": len(err)}
            )  # fmt: skip
    table = pd.DataFrame(rows).merge(bound, on=["testset", "target"], how="left")
    flux = table["target"] == "flux"
    table.loc[flux, ["bias", "std", "posterior_std", "crb", "crb_gaussian", "crb_ccd"]] /= FLUX_UNIT
    return table


def denoiser_table(metrics: Sequence[str], runs: Sequence[Sequence[str]]) -> pd.DataFrame:
    """PSNR gain, parameter counts and two-stage RMSE of each denoiser.

    ``runs[i]`` is the ``(variant, denoiser, regressor)`` of the ``galsim_denoise`` metrics
    ``metrics[i]``.
    """
    _check_count("denoise runs", runs, metrics)
    rows = []
    for path, (variant, denoiser, regressor) in zip(metrics, runs, strict=True):
        record = json.loads(Path(path).read_text())
        psnr, params = record["psnr"], record["parameters"]
        rows.append(
            {"variant": variant, "denoiser": denoiser, "regressor": regressor,
             "psnr_noisy_db": psnr["noisy_db"], "psnr_denoised_db": psnr["denoised_db"],
             "psnr_gain_db": psnr["gain_db"], "denoiser_parameters": params["denoiser"],
             "regressor_parameters": params["regressor"],
             "total_parameters": params["denoiser"] + params["regressor"]}
            | {t: v["rmse"] for t, v in record["targets"].items()}
        )  # fmt: skip
    return pd.DataFrame(rows)


#: Columns of the reference's per-dataset autoencoder tables, as this report names them.
AUTOENCODER_COLUMNS = ("bias", "rmse", "unexplained_variance", "explained_variance")


def explained_variance_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, names: Sequence[str]
) -> pd.DataFrame:
    """Bias, RMSE, unexplained and explained variance per target (rows), as the reference's
    autoencoder tables.

    Bias and RMSE are :func:`~sim2model.eval.metrics.regression_metrics`'. Explained variance is
    ``1 - var(y_pred - y_true) / var(y_true)`` (the residual's variance, so a bias does not count
    against it; scikit-learn's ``explained_variance_score``); unexplained variance is its
    complement. NaN for a constant target.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    if y_true.ndim != 2:
        raise ValueError(f"shape {y_true.shape} does not match {len(names)} targets")
    metrics = regression_metrics(y_true, y_pred, names)
    spread = y_true.var(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        unexplained = np.where(spread > 0, metrics["std"].to_numpy() ** 2 / spread, np.nan)
    return metrics[["bias", "rmse"]].assign(
        unexplained_variance=unexplained, explained_variance=1.0 - unexplained
    )


def autoencoder_metrics_table(predictions: Sequence[str], runs: Sequence[EvalRun]) -> pd.DataFrame:
    """Tidy table, one row per (variant, model, target): the autoencoder's encoder scored on each
    dataset variant's test split (original units), as the reference's tables per dataset.

    ``runs[i]`` is the ``(variant, model, evalset)`` of the predictions ``predictions[i]``.
    """
    _check_count("autoencoder runs", runs, predictions)
    frames = []
    for path, (variant, model, _) in zip(predictions, runs, strict=True):
        pred = read_predictions(path)
        table = explained_variance_metrics(pred.y_true, pred.y_pred, pred.target_names)
        frames.append(table.reset_index().assign(variant=variant, model=model))
    columns = ["variant", "model", "target", *AUTOENCODER_COLUMNS]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def write_autoencoder_metrics(table: pd.DataFrame, csv: str, md: str, caption: str) -> None:
    """Write :func:`autoencoder_metrics_table` as CSV and as one Markdown table per dataset."""
    table.to_csv(csv, index=False, float_format="%.6g")
    parts = [
        "Conditional autoencoder (its encoder) on each dataset variant's test split: bias, RMSE, "
        "unexplained variance var(residual) / var(truth) and explained variance (1 minus it) "
        "per parameter, original units (flux in counts, radius in arcsec), as the reference "
        f"notebook's tables per dataset. {caption}\n"
    ]
    if not len(table):
        parts.append("No conditional autoencoder configured (galsim.models).\n")
    for (variant, model), rows in table.groupby(["variant", "model"], sort=False):
        shown = rows.set_index("target")[list(AUTOENCODER_COLUMNS)]
        shown.columns = ["Bias", "RMSE", "Unexplained variance", "Explained variance"]
        parts.append(f"### {variant} ({model})\n\n" + shown.to_markdown(floatfmt=".4g") + "\n")
    Path(md).write_text("\n".join(parts))


def galsim_tables(
    rmse: Sequence[str],
    testsets: Sequence[str],
    baseline: Sequence[str],
    crb: str,
    rmse_csv: str,
    rmse_md: str,
    crb_csv: str,
    crb_md: str,
    crb_figure: str,
    denoise_csv: str,
    denoise_md: str,
    autoencoder_csv: str,
    autoencoder_md: str,
    *,
    rmse_runs: Sequence[EvalRun],
    testset_runs: Sequence[EvalRun],
    baseline_sets: Sequence[str],
    caption: str,
    denoise: Sequence[str] = (),
    denoise_runs: Sequence[Sequence[str]] = (),
    autoencoder: Sequence[str] = (),
    autoencoder_runs: Sequence[EvalRun] = (),
) -> None:
    """Write the RMSE, Cramér–Rao and autoencoder tables (CSV + Markdown) and the σ/CRB figure.

    ``caption`` (the source and split used) heads both Markdown tables.

    ``rmse_runs`` and ``testset_runs`` give the ``(variant, model, evalset)`` of each input of
    ``rmse`` and ``testsets``, ``baseline_sets`` the test set of each file of ``baseline``,
    ``denoise_runs`` the ``(variant, denoiser, regressor)`` of each two-stage metrics file of
    ``denoise``: their RMSE rows are ``<variant> via <denoiser>``; ``autoencoder_runs`` the
    ``(variant, model, evalset)`` of each test-split predictions file of ``autoencoder``
    (:func:`autoencoder_metrics_table`).
    """
    write_autoencoder_metrics(
        autoencoder_metrics_table(autoencoder, autoencoder_runs),
        autoencoder_csv, autoencoder_md, caption,
    )  # fmt: skip
    denoisers = denoiser_table(denoise, denoise_runs)
    table = rmse_table(rmse, rmse_runs)
    if len(denoisers):
        targets = [c for c in table.columns if c not in ("variant", "model")]
        two_stage = denoisers.assign(variant=denoisers["variant"] + " via " + denoisers["denoiser"])
        two_stage = two_stage.rename(columns={"regressor": "model"})[["variant", "model", *targets]]
        table = pd.concat([table, two_stage], ignore_index=True)
    table.to_csv(rmse_csv, index=False, float_format="%.6g")
    Path(rmse_md).write_text(
        "RMSE per parameter on each variant's test split (original units: flux in counts, "
        "radius in arcsec), one row per dataset variant (noiseless: the upper bound trained on "
        f"noiseless stamps), one column per parameter and model. {caption}\n\n"
        + with_blanks(wide_rmse(table)).to_markdown(floatfmt=".4g", missingval="–")
        + "\n"
    )
    denoisers.to_csv(denoise_csv, index=False, float_format="%.6g")
    Path(denoise_md).write_text(
        "Two-stage denoise-then-regress: each denoiser's mean PSNR of the regressed variant's "
        "test stamps before and after denoising (the denoiser never saw them), the parameter "
        "counts of both stages and the regressor's RMSE on the denoised test stamps (original "
        f"units). {caption}\n\n"
        + (denoisers.to_markdown(index=False, floatfmt=".4g") if len(denoisers) else
           "No denoisers configured (galsim.denoisers).")
        + "\n"
    )  # fmt: skip
    comparison = crb_comparison(
        testsets, baseline, crb, testset_runs=testset_runs, baseline_sets=baseline_sets
    )
    comparison.to_csv(crb_csv, index=False, float_format="%.6g")
    wide = comparison.pivot_table(
        index=["testset", "target"], columns="estimator", values=["bias", "std"], sort=False
    ).swaplevel(axis=1)
    # the reference's column order: CRB, the conventional fit, then the networks as configured
    estimators = ["L-BFGS-B fit", *dict.fromkeys(run[1] for run in testset_runs)]
    wide = wide[[(e, stat) for e in estimators for stat in ("bias", "std") if (e, stat) in wide]]
    wide.columns = [f"{est} {stat}" for est, stat in wide.columns]
    bounds = comparison.groupby(["testset", "target"], sort=False)
    posteriors = comparison.dropna(subset=["posterior_std"])
    for model, rows in posteriors.groupby("estimator", sort=False):
        sigma = rows.set_index(["testset", "target"])["posterior_std"]
        wide[f"{model} σ_post"] = sigma
        wide[f"{model} σ_post / CRB"] = sigma / bounds["crb"].first()
    wide.insert(0, "CRB", bounds["crb"].first())
    wide.insert(1, "Poisson shift of CRB", bounds["poisson_shift"].first())
    noise = comparison["noise"].iloc[0]
    noise_words = {
        "gaussian": "Gaussian pixel noise σ (the stamps' noise, as in the reference notebook)",
        "ccd": "the stamps' CCD noise, Poisson + Gaussian σ (per-pixel variance σ² + I)",
    }[noise]
    Path(crb_md).write_text(
        "Bias and standard deviation on the fixed-parameter test sets beside the Cramér–Rao "
        f"bound for {noise_words} (flux in 1e5 counts, radius in arcsec). 'Poisson shift of "
        "CRB' is the relative change of the bound when the Poisson term is added to Gaussian "
        "noise. A neural posterior's bias and std are those of its posterior mean; its σ_post "
        "is the mean of its per-stamp posterior standard deviations (an efficient, calibrated "
        "posterior has σ_post / CRB near 1 at high SNR). "
        f"{caption}\n\n" + wide.reset_index().to_markdown(index=False, floatfmt=".3f") + "\n"
    )
    labels = {t: display_name(t) for t in comparison["target"].unique()}
    save_figure(bias_std_vs_bound_figure(comparison, target_labels=labels), crb_figure)


def galsim_stamps(
    data: Sequence[str],
    figure: str,
    *,
    variants: Sequence[str],
    pixel_scale: float,
    per_variant: int = 2,
) -> None:
    """Noisy, noiseless and PSF images of the first stamps of each variant's test split.

    ``variants[i]`` names the variant of the test split ``data[i]`` (shown beside its rows).
    """
    _check_count("variants", variants, data)
    rows, labels = [], []
    for path, variant in zip(data, variants, strict=True):
        ds = read_dataset(path)
        for i in range(min(per_variant, len(ds))):
            rows.append(
                {"Noisy": ds.x[i, :, :, 0], "Noiseless": ds.extra["noiseless"][i],
                 "PSF": ds.extra["psf_image"][i]}
            )  # fmt: skip
            labels.append(f"{variant}, SNR {ds.meta['snr'][i]:.0f}")
    stamps = example_stamps_figure(
        rows, pixel_scale=pixel_scale, row_labels=labels,
        unit={"Noisy": "counts", "Noiseless": "counts", "PSF": "fraction of flux"},
    )  # fmt: skip
    save_figure(stamps, figure)
