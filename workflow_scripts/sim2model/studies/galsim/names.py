"""Names of the GalSim study: its targets, classes, units and fixed paths (standard library only).

Every other module of the study imports them from here, so this module imports nothing of the
workflow's own.
"""

from __future__ import annotations

#: Regression targets of every stamp and their units.
TARGET_NAMES = ("flux", "sersic_n", "half_light_radius", "g1", "g2")
TARGET_UNITS = ("counts", "", "arcsec", "", "")


#: Architectures trained by the study's own rules (rules/studies/galsim.smk), not the generic
#: train rule.
AUTOENCODER_ARCH = "conditional_autoencoder"
#: Source variant of the denoisers' own training images (merged like a test set).
DENOISER_SET = "denoiser_train"
DENOISER_ARCHS = ("edsr", "rdn")
#: Image scalings the denoisers can invert on their outputs (linear in the counts).
LINEAR_SCALINGS = ("standard", "per_channel")
