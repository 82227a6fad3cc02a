"""Paths and final outputs of the GalSim study (rules in galsim.smk)."""

import re

from sim2model.studies.galsim.names import DENOISER_SET

GALSIM = STUDIES.get("galsim")
GALSIM_DENOISER_SET = DENOISER_SET


def alternatives(names):
    """Wildcard regex matching exactly ``names`` (nothing when there are none)."""
    return "|".join(re.escape(name) for name in names) or "(?!)"


def galsim_eval(variant, model, evalset, name):
    return f"{RESULTS}/galsim/eval/{variant}/{model}/{evalset}/{name}"


GALSIM_DENOISE_VARIANT = (GALSIM.settings.get("denoisers") or {}).get("variant")


def galsim_denoise_out(denoiser, name):
    return f"{RESULTS}/galsim/denoise/{denoiser}/{name}"


def galsim_testset_data():
    """Merged fixed-parameter test sets and the denoisers' own set (data products besides
    shards and splits)."""
    return expand(
        f"{RESULTS}/galsim/testsets/{{testset}}.h5", testset=GALSIM.merged_sets()
    )


def galsim_targets():
    return [
        *generic_targets("galsim"),
        *rules.galsim_tables.output,
        *rules.galsim_stamps.output,
        *rules.galsim_reconstruction.output,
        *(
            f"{RESULTS}/galsim/figures/denoise_{denoiser}.png"
            for denoiser in GALSIM.denoisers()
        ),
        *(
            f"{RESULTS}/galsim/figures/{variant}/{model}/reconstructions.png"
            for variant, model in GALSIM.runs()
            if model in GALSIM.autoencoder_models()
        ),
    ]


STUDY_TARGETS["galsim"] = galsim_targets
STUDY_EXTRA_DATA["galsim"] = galsim_testset_data
