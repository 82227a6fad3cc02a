"""Validation figure: the built-in reionization simulator next to 21cmFAST."""

from __future__ import annotations

from matplotlib.figure import Figure

from sim2model.plots.style import axis_label, display_name, new_panels, styled
from sim2model.studies.eor21cm.validation import Validation

STYLES = {
    "21cmFAST": {"color": "C0", "marker": "o", "ls": "-"},
    "built-in": {"color": "C3", "marker": "s", "ls": "--"},
}


@styled
def validation_figure(result: Validation) -> Figure:
    """Panel 1: xHI(z) of both simulators; then Delta^2(k) of both at each spectrum redshift."""
    fig, axes = new_panels(1 + len(result.spectrum_redshifts), max_cols=4)
    history = axes[0]
    for label, xhi in (("21cmFAST", result.xhi_21cmfast), ("built-in", result.xhi_builtin)):
        history.plot(result.redshifts, xhi, label=label, **STYLES[label])
    history.axvline(result.pivot_redshift, color="0.5", lw=0.8, ls=":",
                    label=f"built-in ζ = {result.zeta:.3g} matched here")  # fmt: skip
    history.set(xlabel=display_name("redshift"), ylabel=display_name("xHI"), ylim=(-0.02, 1.02))
    history.set_title("Reionization history")
    history.legend(loc="upper left")
    spectra = zip(
        axes[1:],
        result.spectrum_redshifts,
        result.spectrum_xhi,
        result.delta2_21cmfast,
        result.delta2_builtin,
        strict=True,
    )
    for ax, z, xhi, delta2_21, delta2_builtin in spectra:
        for label, delta2 in (("21cmFAST", delta2_21), ("built-in", delta2_builtin)):
            ax.loglog(result.k, delta2, label=label, ms=3, **STYLES[label])
        ax.set(xlabel=axis_label("k", "Mpc⁻¹"), ylabel=axis_label("Δ²₂₁", "mK²"))
        ax.set_title(f"z = {z:g}, xHI = {xhi:.2f}")
        ax.legend(loc="lower right")
    fig.suptitle(
        "Built-in simulator vs 21cmFAST: same box size and cosmology; spectra at equal xHI"
    )
    return fig
