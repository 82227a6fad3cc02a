"""Figures of generated vs real maps."""

from __future__ import annotations

import numpy as np
import pytest

from sim2model.plots.generative import generated_maps_figure, generated_statistics_figure
from sim2model.plots.style import save_figure

RNG = np.random.default_rng(0)
REAL = {"mhd": RNG.normal(size=(5, 16, 16, 1)), "streaming": RNG.normal(size=(3, 16, 16, 1))}
FAKE = {"mhd": RNG.normal(size=(4, 16, 16, 1)), "streaming": RNG.normal(size=(4, 16, 16, 1))}


def test_map_grid_has_a_row_per_class_and_real_then_generated_columns(tmp_path):
    fig = generated_maps_figure(REAL, FAKE, value_label="log10 rho", per_class=2)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * (2 + 2)
    assert [ax.get_title() for ax in images[:4]] == ["Real", "Real", "Generated", "Generated"]
    assert images[0].get_ylabel() == "mhd" and images[4].get_ylabel() == "streaming"
    assert save_figure(fig, tmp_path / "grid.png").stat().st_size > 0


def test_statistics_figure_has_spectra_over_pdfs_per_class():
    k = np.arange(1, 9)
    spectra = {c: (1.0 / k**2, 0.5 / k**2) for c in REAL}
    fig = generated_statistics_figure(k, spectra, {c: (REAL[c], FAKE[c]) for c in REAL},
                                      value_label="log10 rho")  # fmt: skip
    assert len(fig.axes) == 4
    assert fig.axes[0].get_xscale() == "log" and fig.axes[0].get_title() == "mhd"
    assert fig.axes[2].get_xlabel() == "log10 rho"


def test_classes_must_match():
    with pytest.raises(ValueError, match="differ"):
        generated_maps_figure(REAL, {"mhd": FAKE["mhd"]}, value_label="x")
