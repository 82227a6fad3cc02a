"""Paths and final outputs of the GalSim study (rules in galsim.smk)."""

GALSIM = STUDIES.get("galsim")


def galsim_eval(variant, model, evalset, name):
    return f"{RESULTS}/galsim/eval/{variant}/{model}/{evalset}/{name}"


def galsim_testset_data():
    """Merged fixed-parameter test sets (data products besides shards and splits)."""
    return expand(
        f"{RESULTS}/galsim/testsets/{{testset}}.h5", testset=GALSIM.testsets()
    )


def galsim_targets():
    return [
        *generic_targets("galsim"),
        *rules.galsim_tables.output,
        *rules.galsim_stamps.output,
    ]


STUDY_TARGETS["galsim"] = galsim_targets
STUDY_EXTRA_DATA["galsim"] = galsim_testset_data
