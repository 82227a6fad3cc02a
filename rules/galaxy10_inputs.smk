"""Final outputs of the galaxy10 study (generic source, dataset and report rules; galaxy10.smk)."""

from sim2model.studies.galaxy10.names import DOWNLOAD_PATH as GALAXY10_DOWNLOAD


def galaxy10_targets():
    study = STUDIES["galaxy10"]
    variant = study.source
    return [
        *generic_targets("galaxy10"),
        *expand(
            f"{RESULTS}/galaxy10/figures/{variant}/{{model}}/examples.png",
            model=study.variant_models(variant),
        ),
        *rules.galaxy10_report.output,
    ]


STUDY_TARGETS["galaxy10"] = galaxy10_targets
