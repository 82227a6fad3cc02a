"""Report of the generate stage: the per-class table and the figures of generated vs real maps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from sim2model.eval.generative import select_where, spectrum_comparison
from sim2model.io.dataset import read_dataset
from sim2model.plots.generative import generated_maps_figure, generated_statistics_figure
from sim2model.plots.style import save_figure


def generative_report(
    generated: str,
    test: str,
    metrics: str,
    md: str,
    grid: str,
    statistics: str,
    *,
    caption: str,
    test_where: Mapping[str, Any] | None = None,
    per_class: int = 4,
) -> None:
    """The per-class ``metrics`` table as Markdown (``md``, headed by ``caption``), real vs
    generated maps per class (``grid``) and their spectra and pixel PDFs (``statistics``)."""
    gen_ds = read_dataset(generated, extra=False)
    test_ds = select_where(read_dataset(test, extra=False), test_where, test)
    value_label = gen_ds.attrs.get("input_name", "pixel value")
    table = pd.read_csv(metrics, index_col="class")
    formats = ["", *(".0f" if c.startswith("n_") else ".3g" for c in table.columns)]
    Path(md).write_text(
        f"Generated maps ({gen_ds.attrs.get('generator', 'generator')}) vs held-out test maps "
        f"of the same class: spectral ratio = geometric mean of P_gen(k) / P_real(k) over the "
        f"resolved k; W1 = Wasserstein-1 distance of the pixel PDFs ({value_label}); agreement = "
        f"fraction of generated maps the classifier assigns to their class; train_* = the same "
        f"statistics of the real train maps against the test maps (the floor that slab-to-slab "
        f"variance sets). {caption}\n\n" + table.to_markdown(floatfmt=formats) + "\n"
    )
    class_names = list(gen_ds.attrs["class_names"])
    present = [(i, c) for i, c in enumerate(class_names) if i in gen_ds.y]
    real = {c: test_ds.x[test_ds.y == i] for i, c in present}
    fake = {c: gen_ds.x[gen_ds.y == i] for i, c in present}
    save_figure(
        generated_maps_figure(real, fake, value_label=value_label, per_class=per_class), grid
    )
    comparisons = {c: spectrum_comparison(real[c], fake[c]) for c in real}
    k = next(iter(comparisons.values()))[0]
    spectra = {c: (p_real, p_fake) for c, (_, p_real, p_fake) in comparisons.items()}
    values = {c: (real[c], fake[c]) for c in real}
    save_figure(
        generated_statistics_figure(k, spectra, values, value_label=value_label), statistics
    )
