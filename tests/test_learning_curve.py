"""Learning curves of a budget sweep: the power-law fit, the budget that reaches a reference,
the per-budget table and the stage writing CSV, Markdown and figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim2model.eval.learning_curve import (
    CurveMetric,
    curve_points,
    fit_curves,
    fit_power_law,
    fit_summary,
    learning_curve_table,
)
from sim2model.stages.learning_curve import learning_curve, method_note

BUDGETS = np.array([1000, 2000, 4000, 8000, 16000, 32000])
RUNS = ("xception", "xception-seed2", "xception-seed3")
RMSE = CurveMetric("RMSE flux", ("targets", "flux", "rmse"), "error", 0.02, "Table 2", "counts")
ACCURACY = CurveMetric("accuracy", ("accuracy",), "score", 0.95, "Sec. 4")


def noisy(a: float, b: float, seed: int, scatter: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Three runs per budget of ``a n^-b`` with log-normal scatter."""
    n = np.repeat(BUDGETS, len(RUNS)).astype(float)
    rng = np.random.default_rng(seed)
    return n, a * n**-b * np.exp(rng.normal(0.0, scatter, n.size))


def records(a: float, b: float, seed: int) -> list[tuple[int, str, dict]]:
    """metrics.json-like records: RMSE ``a n^-b`` and accuracy ``1 - a n^-b`` per run."""
    n, values = noisy(a, b, seed)
    runs = RUNS * len(BUDGETS)
    return [
        (int(k), run, {"targets": {"flux": {"rmse": v}}, "accuracy": 1.0 - v})
        for k, run, v in zip(n, runs, values, strict=True)
    ]


def test_noiseless_points_give_the_exact_exponent_and_amplitude():
    fit = fit_power_law(BUDGETS, 3.0 * BUDGETS**-0.5)
    assert fit.exponent == pytest.approx(0.5, abs=1e-6)
    assert fit.amplitude == pytest.approx(3.0, abs=1e-6)
    assert fit.n_points == len(BUDGETS)
    assert (fit.budget_min, fit.budget_max) == (1000, 32000)
    np.testing.assert_allclose(fit.predict([1e3, 1e6]), [3.0 / 1e3**0.5, 3.0 / 1e3], rtol=1e-9)


def test_noisy_runs_recover_the_exponent_within_the_stated_uncertainty():
    n, values = noisy(3.0, 0.5, seed=7)
    fit = fit_power_law(n, values)
    assert abs(fit.exponent - 0.5) < 3 * fit.exponent_err
    assert abs(math.log(fit.amplitude) - math.log(3.0)) < 3 * math.sqrt(fit.covariance[0, 0])
    # The stated uncertainty is a real one: about 0.05 / (std of log n * sqrt(18)).
    assert 0.005 < fit.exponent_err < 0.02


def test_sigmas_weight_the_points():
    """A far-off point with a huge sigma leaves the fit on the others."""
    n = np.append(BUDGETS, 64000).astype(float)
    values = np.append(3.0 * BUDGETS**-0.5, 1.0)
    sigmas = np.append(np.full(len(BUDGETS), 1e-3), 1e6)
    fit = fit_power_law(n, values, sigmas)
    assert fit.exponent == pytest.approx(0.5, abs=1e-6)
    assert fit.amplitude == pytest.approx(3.0, rel=1e-5)


def test_budget_for_a_known_curve_is_exact():
    fit = fit_power_law(BUDGETS, 3.0 * BUDGETS**-0.5)
    estimate = fit.budget_for(3.0 * 5000.0**-0.5)
    assert estimate.n == pytest.approx(5000.0, rel=1e-9)
    assert estimate.within_range and estimate.note == ""
    assert estimate.low == pytest.approx(5000.0, rel=1e-6)
    assert estimate.high == pytest.approx(5000.0, rel=1e-6)


def test_the_budget_interval_contains_the_truth():
    n, values = noisy(3.0, 0.5, seed=11)
    fit = fit_power_law(n, values)
    estimate = fit.budget_for(3.0 * 50000.0**-0.5)
    assert estimate.within_range
    assert estimate.low < 50000.0 < estimate.high
    assert estimate.low < estimate.n < estimate.high


def test_the_68_percent_intervals_cover_the_truth_about_68_percent_of_the_time():
    truth = 50000.0
    covered = []
    for seed in range(200):
        n, values = noisy(3.0, 0.5, seed=seed)
        estimate = fit_power_law(n, values).budget_for(3.0 * truth**-0.5)
        covered.append(estimate.low < truth < estimate.high)
    assert 0.58 < np.mean(covered) < 0.78


def test_the_prediction_band_covers_the_true_curve():
    n, values = noisy(3.0, 0.5, seed=3)
    fit = fit_power_law(n, values)
    low, high = fit.predict_interval(BUDGETS, level=0.95)
    truth = 3.0 * BUDGETS**-0.5
    assert np.all((low < truth) & (truth < high))
    assert np.all(low < fit.predict(BUDGETS)) and np.all(fit.predict(BUDGETS) < high)


def test_a_curve_that_does_not_fall_never_reaches_the_target():
    n, values = noisy(0.01, -0.2, seed=5)
    fit = fit_power_law(n, values)
    assert fit.exponent < 0
    estimate = fit.budget_for(0.005)
    assert not estimate.within_range
    assert estimate.n == math.inf
    assert "does not fall" in estimate.note


def test_a_target_beyond_ten_times_the_largest_budget_is_not_reached():
    fit = fit_power_law(BUDGETS, 3.0 * BUDGETS**-0.5)
    estimate = fit.budget_for(3.0 * 1e6**-0.5)
    assert estimate.n == pytest.approx(1e6, rel=1e-9)
    assert not estimate.within_range
    assert "10 x the largest budget" in estimate.note


def test_one_budget_is_not_a_curve():
    with pytest.raises(ValueError, match="at least 2 distinct budgets"):
        fit_power_law([1000, 1000, 1000], [0.1, 0.11, 0.09])
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1000, 2000], [0.1, 0.0])


def test_a_score_is_fitted_through_its_shortfall():
    recs = records(0.5, 0.3, seed=2)
    points = curve_points(recs, [ACCURACY])
    np.testing.assert_allclose(points["fitted"], 1.0 - points["value"])
    fit = fit_curves(points, [ACCURACY])["accuracy"]
    assert abs(fit.exponent - 0.3) < 3 * fit.exponent_err
    table = learning_curve_table(recs, [ACCURACY])
    assert (table["mean"] > 0.9).all()  # the table reports accuracy, not its shortfall
    summary = fit_summary({"accuracy": fit}, [ACCURACY]).iloc[0]
    assert summary["fitted"] == "1 - accuracy"
    expected = (0.05 / fit.amplitude) ** (-1 / fit.exponent)
    assert summary["budget_to_reference"] == pytest.approx(expected)


def test_the_table_has_one_row_per_budget_and_metric():
    recs = records(3.0, 0.5, seed=1)
    recs.append((64000, "xception", {"targets": {"flux": {"rmse": 0.01}}, "accuracy": 0.99}))
    table = learning_curve_table(recs, [RMSE, ACCURACY])
    assert list(table.columns) == [
        "budget", "metric", "runs", "mean", "std", "min", "max", "reference",
    ]  # fmt: skip
    assert list(table["metric"]) == ["RMSE flux"] * 7 + ["accuracy"] * 7
    first = table.iloc[0]
    values = [r[2]["targets"]["flux"]["rmse"] for r in recs[:3]]
    assert first["runs"] == 3
    assert first["mean"] == pytest.approx(np.mean(values))
    assert first["std"] == pytest.approx(np.std(values, ddof=1))
    assert (first["min"], first["max"]) == (min(values), max(values))
    assert first["reference"] == 0.02
    assert math.isnan(table.iloc[6]["std"])  # one run at 64000


def test_the_summary_says_why_a_reference_is_not_reached():
    recs = records(3.0, 0.5, seed=1)
    far = CurveMetric("RMSE flux", ("targets", "flux", "rmse"), "error", 1e-4, "Fig. 3")
    none = CurveMetric("RMSE flux", ("targets", "flux", "rmse"), "error")
    fits = fit_curves(curve_points(recs, [far]), [far])
    summary = fit_summary(fits, [far])
    assert not summary.loc[0, "reached"]
    assert summary.loc[0, "note"].startswith("not reached within the fitted range (")
    assert fit_summary(fits, [none]).loc[0, "note"] == "no reference value"


def write_sweep(folder, recs):
    paths = []
    for budget, run, record in recs:
        path = folder / f"{budget}-{run}.json"
        path.write_text(json.dumps(record))
        paths.append(str(path))
    return paths


def test_the_stage_writes_csv_markdown_and_png(tmp_path):
    recs = records(3.0, 0.5, seed=4)
    paths = write_sweep(tmp_path, recs)
    caption = "Learning curve of xception: 6 budgets, 1,000 to 32,000 training samples."
    out = {"csv": tmp_path / "lc.csv", "md": tmp_path / "lc.md", "png": tmp_path / "lc.png"}
    specs = [
        {"label": "RMSE flux", "path": ["targets", "flux", "rmse"], "kind": "error",
         "reference": 0.02, "where": "Table 2", "unit": "counts"},
        {"label": "accuracy", "path": ["accuracy"], "kind": "score", "reference": 0.95,
         "where": "Sec. 4", "unit": ""},
    ]  # fmt: skip
    learning_curve(
        paths, str(out["csv"]), str(out["md"]), str(out["png"]),
        budgets=[r[0] for r in recs], runs=[r[1] for r in recs],
        curve_metrics=specs, caption=caption,
    )  # fmt: skip
    table = pd.read_csv(out["csv"])
    assert len(table) == 2 * len(BUDGETS)
    assert list(table["budget"][: len(BUDGETS)]) == list(BUDGETS)
    assert set(table["runs"]) == {3}
    md = out["md"].read_text()
    assert md.startswith(caption)
    assert "## Power-law fits" in md and "1 - accuracy" in md
    png = out["png"].read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


def test_a_budget_in_boxes_labels_the_text_and_the_axis():
    from sim2model.plots.learning_curve import learning_curve_figure

    recs = records(3.0, 0.5, seed=4)
    points = curve_points(recs, [RMSE])
    label = "training groups of box_id (whole)"
    assert f"{BUDGETS[-1]:,} {label}, 3 run(s)" in method_note(points, label)
    fig = learning_curve_figure(learning_curve_table(recs, [RMSE]), {}, [RMSE], "c",
                                budget_label=label)  # fmt: skip
    ax = fig.axes[0]
    assert ax.get_xlabel() == label
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{b:,}" for b in BUDGETS]


def test_the_stage_names_the_file_and_key_of_a_missing_metric(tmp_path):
    recs = records(3.0, 0.5, seed=4)
    del recs[4][2]["targets"]["flux"]["rmse"]
    paths = write_sweep(tmp_path, recs)
    spec = {"label": "RMSE flux", "path": ["targets", "flux", "rmse"], "kind": "error"}
    with pytest.raises(KeyError, match=r"2000-xception-seed2\.json: no 'targets\.flux\.rmse'"):
        learning_curve(
            paths, str(tmp_path / "a.csv"), str(tmp_path / "a.md"), str(tmp_path / "a.png"),
            budgets=[r[0] for r in recs], runs=[r[1] for r in recs],
            curve_metrics=[spec], caption="c",
        )  # fmt: skip


def test_two_points_without_sigmas_give_no_uncertainty():
    fit = fit_power_law([1000, 4000], [0.1, 0.05])
    assert fit.exponent == pytest.approx(0.5)
    assert np.all(np.isnan(fit.covariance))
    estimate = fit.budget_for(0.07)
    assert math.isnan(estimate.low) and math.isnan(estimate.high)
    weighted = fit_power_law([1000, 4000], [0.1, 0.05], sigmas=[0.01, 0.005])
    assert weighted.exponent_err == pytest.approx(math.sqrt(2 * 0.1**2) / math.log(4))


def test_the_figure_labels_the_fitted_quantities():
    from sim2model.plots.learning_curve import learning_curve_figure

    recs = records(3.0, 0.5, seed=4)
    points = curve_points(recs, [RMSE, ACCURACY])
    table = learning_curve_table(recs, [RMSE, ACCURACY])
    fits = fit_curves(points, [RMSE, ACCURACY])
    fig = learning_curve_figure(table, fits, [RMSE, ACCURACY], "caption", points=points)
    rmse_ax, accuracy_ax = fig.axes
    assert rmse_ax.get_ylabel() == "RMSE flux [counts]"
    assert accuracy_ax.get_ylabel() == "1 - accuracy"
    assert rmse_ax.get_xlabel() == "training samples" and rmse_ax.get_xscale() == "log"
    labels = [t.get_text() for t in rmse_ax.get_legend().get_texts()]
    assert "reference notebook (RMSE flux = 0.02)" in labels
    assert any(label.startswith("reaches it at n ≈") for label in labels)
    reference_lines = [line for line in accuracy_ax.get_lines() if line.get_linestyle() == "--"]
    assert reference_lines[0].get_ydata()[0] == pytest.approx(0.05)


def test_perfect_scores_are_left_out_of_the_fit_and_an_all_perfect_metric_is_not_fitted(tmp_path):
    """A run with accuracy 1 has no shortfall to fit in log-log: the fit uses the others; when
    fewer than two sizes remain the summary says so and the stage still writes everything."""
    recs = records(0.5, 0.3, seed=2)
    recs[-1] = (recs[-1][0], recs[-1][1], {**recs[-1][2], "accuracy": 1.0})
    points = curve_points(recs, [ACCURACY])
    fit = fit_curves(points, [ACCURACY])["accuracy"]
    assert fit.n_points == len(recs) - 1
    perfect = [(n, run, {**record, "accuracy": 1.0}) for n, run, record in recs]
    assert fit_curves(curve_points(perfect, [ACCURACY]), [ACCURACY]) == {}
    summary = fit_summary({}, [ACCURACY]).iloc[0]
    assert "not fitted" in summary["note"] and not summary["reached"]
    paths = write_sweep(tmp_path, perfect)
    out = [str(tmp_path / name) for name in ("lc.csv", "lc.md", "lc.png")]
    learning_curve(
        paths, *out, budgets=[r[0] for r in perfect], runs=[r[1] for r in perfect],
        curve_metrics=[{"label": "accuracy", "path": ["accuracy"], "kind": "score",
                        "reference": 0.95, "where": "Sec. 4", "unit": ""}],
        caption="All perfect.",
    )  # fmt: skip
    assert "not fitted" in (tmp_path / "lc.md").read_text()
    assert (tmp_path / "lc.png").read_bytes().startswith(b"\x89PNG")


def test_perfect_runs_are_drawn_as_upper_limits_at_the_test_resolution():
    """A run with accuracy 1 on 800 test samples has a shortfall below 1/800: the figure marks
    it there (the log axis cannot show 0), and only it."""
    from sim2model.plots.learning_curve import learning_curve_figure

    recs = [(n, run, {**record, "n_samples": 800}) for n, run, record in records(0.5, 0.3, 2)]
    recs[-1] = (recs[-1][0], recs[-1][1], {**recs[-1][2], "accuracy": 1.0})
    points = curve_points(recs, [ACCURACY])
    assert points["resolution"].tolist() == [1 / 800] * len(recs)
    table = learning_curve_table(recs, [ACCURACY])
    fig = learning_curve_figure(table, fit_curves(points, [ACCURACY]), [ACCURACY], "c",
                                points=points)  # fmt: skip
    (marked,) = [c for c in fig.axes[0].collections if c.get_label().startswith("perfect runs")]
    np.testing.assert_allclose(marked.get_offsets(), [[recs[-1][0], 1 / 800]])


def test_training_time_is_summed_per_run_and_extrapolated_to_the_reached_budget(tmp_path):
    """Runs whose epochs take n / 1000 s, 5 epochs each: 5 n / 1000 s per run, so a fit of
    time against n has exponent 1 and predicts 5 n* / 1000 s at the budget n* that reaches the
    reference (RMSE 3 n^-0.5 meets 0.03 at n* = 10,000)."""
    from sim2model.stages.learning_curve import cost_markdown, training_costs

    histories, budgets = [], []
    for n in (500, 1000, 2000):
        for run in ("a", "b"):
            path = tmp_path / f"{n}-{run}.csv"
            pd.DataFrame({"epoch": range(5), "epoch_seconds": [n / 1000] * 5}).to_csv(path)
            histories.append(str(path)), budgets.append(n)
    costs = training_costs(histories, budgets)
    assert list(costs.index) == [500, 1000, 2000] and set(costs["runs"]) == {2}
    np.testing.assert_allclose(costs["seconds"], [2.5, 5.0, 10.0])
    metric = CurveMetric("RMSE flux", ("targets", "flux", "rmse"), "error", 0.03)
    fit = fit_power_law([500, 1000, 2000, 4000], 3.0 * np.array([500, 1000, 2000, 4000]) ** -0.5)
    summary = fit_summary({"RMSE flux": fit}, [metric])
    assert summary.iloc[0]["budget_to_reference"] == pytest.approx(10_000)
    text = cost_markdown(costs, summary)
    assert "grows as n^1.00" in text
    assert "|    1,000 |      2 |      5.0 |                 5.0 |" in text  # whole counts
    assert "(10,000 training samples) would take about 50 s per run" in text
    pd.DataFrame({"epoch": [0]}).to_csv(tmp_path / "old.csv")
    with pytest.raises(KeyError, match="old.csv: no 'epoch_seconds' column"):
        training_costs([str(tmp_path / "old.csv")], [500])


def test_scatter_over_the_crb_is_read_from_each_points_test_set(tmp_path):
    """A σ/CRB metric reads the point's record of its own test set and divides by that set's
    bound: a scatter of 2 x CRB at every size gives 2, and the test split's RMSE is unchanged."""
    budgets, runs, evalsets = [1000, 2000, 4000], ["xception"] * 3, ["test", "snr60"]
    crb = tmp_path / "crb.csv"
    crb.write_text("testset,target,crb\nsnr60,flux,250.0\nsnr30,flux,500.0\n")
    paths = []
    for budget in budgets:
        for evalset in evalsets:
            scores = {"rmse": 1e5 / budget**0.5, "std": 500.0 * (4000 / budget) ** 0.3}
            path = tmp_path / f"{budget}-{evalset}.json"
            path.write_text(json.dumps({"targets": {"flux": scores}}))
            paths.append(str(path))
    specs = [
        {"label": "RMSE flux", "path": ["targets", "flux", "rmse"], "kind": "error"},
        {"label": "σ/CRB flux (snr60)", "path": ["targets", "flux", "std"], "kind": "error",
         "reference": 1.0, "evalset": "snr60", "over_crb": True,
         "reference_name": "Cramér–Rao bound"},
    ]  # fmt: skip
    out = [str(tmp_path / name) for name in ("t.csv", "t.md", "t.png")]
    learning_curve(paths, *out, budgets=budgets, runs=runs, curve_metrics=specs,
                   caption="c", evalsets=evalsets, crb=str(crb))  # fmt: skip
    table = pd.read_csv(out[0]).set_index(["metric", "budget"])["mean"]
    assert table[("σ/CRB flux (snr60)", 4000)] == pytest.approx(2.0)
    assert table[("σ/CRB flux (snr60)", 1000)] == pytest.approx(2.0 * 4**0.3, rel=1e-5)
    assert table[("RMSE flux", 1000)] == pytest.approx(1e5 / 1000**0.5, rel=1e-5)
    summary = out[1]
    assert "0.300 ± 0.000" in Path(summary).read_text()  # the exponent of the scatter
    with pytest.raises(KeyError, match="no Cramér–Rao bound of flux on snr60"):
        crb.write_text("testset,target,crb\nsnr30,flux,500.0\n")
        learning_curve(paths, *out, budgets=budgets, runs=runs, curve_metrics=specs,
                       caption="c", evalsets=evalsets, crb=str(crb))  # fmt: skip
