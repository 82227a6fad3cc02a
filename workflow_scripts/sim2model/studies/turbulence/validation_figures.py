"""Physics-check figure of Athena++ turbulence runs: density PDF, spectra, Mach number."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter, StrMethodFormatter

from sim2model.plots.style import axis_label, new_panels, styled


@styled
def validation_figure(
    ln_rho_pdf: Mapping[str, tuple[np.ndarray, np.ndarray]],
    rho_spectra: Mapping[str, tuple[np.ndarray, np.ndarray]],
    ec_spectra: Mapping[str, tuple[np.ndarray, np.ndarray]],
    mach: Mapping[str, float],
    target_mach: float,
) -> Figure:
    """Four panels, one line (or bar) per transport class, one colour per class: PDF of
    ln(rho / <rho>), shell power spectra of rho and of Ec / <Ec> (classes with CRs), Mach number
    reached."""
    fig, (pdf, rho, ec, bars) = new_panels(4, max_cols=2)
    names = list(mach)
    colour = {cls: f"C{i}" for i, cls in enumerate(names)}
    for cls, (centres, density) in ln_rho_pdf.items():
        pdf.semilogy(centres, density, label=cls, color=colour[cls])
    pdf.set(xlabel=axis_label("ln(ρ / ⟨ρ⟩)"), ylabel=axis_label("PDF"))
    pdf.set_title("Density PDF")
    panels = ((rho, rho_spectra, "ρ", "code units²"), (ec, ec_spectra, "E_c / ⟨E_c⟩", ""))
    for ax, spectra, name, unit in panels:
        for cls, (k, power) in spectra.items():
            ax.loglog(k, power, marker="o", ms=3, label=cls, color=colour[cls])
        ax.set(xlabel=axis_label("k", "2π / L"), ylabel=axis_label(f"P(k) of {name}", unit))
        ax.xaxis.set_major_locator(FixedLocator([1, 2, 4, 8, 16, 32, 64, 128]))
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f"Shell power spectrum of {name}")
    bars.bar(names, [mach[c] for c in names], color=[colour[c] for c in names])
    bars.axhline(target_mach, color="0.3", ls="--", lw=1, label=f"target {target_mach:g}")
    bars.set(ylabel=axis_label("rms Mach number"))
    bars.set_title("Turbulent Mach number reached")
    bars.tick_params(axis="x", labelrotation=30)
    for ax in (pdf, rho, ec, bars):
        ax.legend(fontsize="small")
    return fig
