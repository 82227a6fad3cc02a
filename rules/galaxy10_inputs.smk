"""Final outputs of the galaxy10 study (it uses the generic source, dataset and report rules)."""


def galaxy10_targets():
    study = STUDIES["galaxy10"]
    variant = study.source
    return [
        *generic_targets("galaxy10"),
        *expand(
            f"{RESULTS}/galaxy10/figures/{variant}/{{model}}/examples.png",
            model=study.variant_models(variant),
        ),
    ]


STUDY_TARGETS["galaxy10"] = galaxy10_targets
