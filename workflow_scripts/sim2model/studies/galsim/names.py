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
#: The other noise model of each (what the misspecified stamps carry by default).
OTHER_NOISE = {"ccd": "gaussian", "gaussian": "ccd"}
#: Image scalings the denoisers can invert on their outputs (linear in the counts).
LINEAR_SCALINGS = ("standard", "per_channel")

#: The reference notebook's Xception RMSE per target (TARGET_NAMES order, original units) on
#: each data set, by the variant of ours that repeats it: its RMSE table
#: (``pd.DataFrame(RMSE)``, one row per experiment, named here).
REFERENCE_XCEPTION_RMSE = {
    "noiseless": ("Noiseless images with fixed PSF",
                  (383.312195, 0.029203, 0.002238, 0.004046, 0.003601)),
    "v1": ("Noisy images with fixed PSF and noise",
           (5913.239258, 0.780093, 0.046175, 0.073667, 0.073462)),
    "v2": ("Noisy images with fixed PSF and varying noise",
           (8993.485352, 0.835633, 0.051174, 0.083889, 0.083067)),
    "v3": ("Noisy images with varying PSF and noise",
           (9688.587891, 0.974611, 0.054196, 0.104317, 0.103793)),
}  # fmt: skip
#: The conditional autoencoder's bias and RMSE per target (TARGET_NAMES order) on each data set:
#: the reference's three "Parameter | Bias | RMSE | Unexplained Variance | Explained Variance"
#: tables, in the order of its "Trained on" list (fixed sigma and PSF, variable sigma, variable
#: sigma and PSF).
REFERENCE_AUTOENCODER = {
    "v1": ("first", (-3010, -0.076, 0.002, 0.016, 0.006), (7800, 0.798, 0.049, 0.083, 0.076)),
    "v2": ("second", (-2991, 0.177, 0.000, -0.001, 0.014), (12055, 0.872, 0.052, 0.087, 0.086)),
    "v3": ("third", (-4450, -0.070, -0.008, 0.010, -0.005), (14512, 1.012, 0.057, 0.111, 0.108)),
}  # fmt: skip
