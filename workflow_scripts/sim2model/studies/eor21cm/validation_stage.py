"""EoR 21cm validation stage: the built-in simulator against 21cmFAST on one box (optional)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sim2model.plots.style import save_figure
from sim2model.studies.eor21cm.validation import validate
from sim2model.studies.eor21cm.validation_figures import validation_figure

log = logging.getLogger(__name__)


def eor_validation(figure: str, *, options: Mapping[str, Any], seed: int) -> None:
    """xHI(z) and Tb power spectra of both simulators on one box.

    ``options`` are the keyword arguments of :func:`sim2model.studies.eor21cm.validation.validate`.
    """
    result = validate(seed, **options)
    save_figure(validation_figure(result), figure)
    log.info(
        "z %s: xHI 21cmFAST %s, built-in %s (zeta %.3g matched at z = %g)",
        result.redshifts, result.xhi_21cmfast.round(3), result.xhi_builtin.round(3),
        result.zeta, result.pivot_redshift,
    )  # fmt: skip
