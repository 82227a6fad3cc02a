"""Final outputs of the crsphere study (rules in crsphere.smk)."""

CRSPHERE = STUDIES.get("crsphere")


def crsphere_targets():
    return [
        *generic_targets("crsphere"),
        f"{RESULTS}/crsphere/figures/roc.png",
        *rules.crsphere_figures.output,
    ]


STUDY_TARGETS["crsphere"] = crsphere_targets
