"""The GalSim stamps' prior and stamp settings (one per variant or fixed-parameter test set)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim2model.studies.galsim.names import TARGET_NAMES

FIXED_KEYS = (*TARGET_NAMES, "psf_fwhm", "sigma")
RANGE_FIELDS = ("flux", "sersic_n", "half_light_radius", "shear", "psf_fwhm", "sigma", "snr")
NOISE_MODELS = ("gaussian", "ccd")

Range = tuple[float, float]


@dataclass(frozen=True)
class GalaxyPrior:
    """Prior ranges ``(lo, hi)`` (``lo == hi`` means fixed) and stamp settings.

    ``flux`` is in counts, radii and FWHM in arcsec, ``shear`` bounds ``|g|`` (its angle is
    uniform), ``sigma`` is the Gaussian noise standard deviation in counts. ``n_grid`` values of n
    are ``np.linspace(*sersic_n, n_grid)`` (0: continuous n). ``psf_channel`` appends the
    unit-flux PSF image to ``x`` as a second channel. ``noise`` is ``ccd`` (Poisson on the galaxy
    counts plus Gaussian ``sigma``) or ``gaussian`` (``sigma`` only). ``fixed`` maps every name in
    :data:`FIXED_KEYS` to a value: all samples then share those parameters and differ only in
    their noise, and the SNR cut is skipped.
    """

    flux: Range = (0.3e5, 4e5)
    sersic_n: Range = (0.5, 6.0)
    half_light_radius: Range = (0.1, 0.6)
    shear: Range = (0.0, 0.67)
    psf_fwhm: Range = (0.5, 0.5)
    sigma: Range = (200.0, 400.0)
    snr: Range = (10.0, 100.0)
    n_grid: int = 1000
    psf_channel: bool = False
    noise: str = "ccd"
    fixed: dict[str, float] | None = None
    stamp_size: int = 64
    pixel_scale: float = 0.23

    def __post_init__(self) -> None:
        for name in RANGE_FIELDS:
            lo, hi = (float(v) for v in getattr(self, name))
            if lo > hi:
                raise ValueError(f"GalaxyPrior.{name}: lower bound {lo} exceeds {hi}")
            object.__setattr__(self, name, (lo, hi))
        if self.n_grid < 0:
            raise ValueError(f"GalaxyPrior.n_grid must be >= 0, got {self.n_grid}")
        if self.noise not in NOISE_MODELS:
            raise ValueError(f"GalaxyPrior.noise must be one of {NOISE_MODELS}, got {self.noise!r}")
        if self.fixed is not None and set(self.fixed) != set(FIXED_KEYS):
            raise ValueError(f"GalaxyPrior.fixed must give exactly {FIXED_KEYS}, got {self.fixed}")

    def n_values(self) -> np.ndarray | None:
        """The grid of Sérsic indices, or None for continuous n."""
        return np.linspace(*self.sersic_n, self.n_grid) if self.n_grid else None
