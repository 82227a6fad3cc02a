"""sim2model: astrophysics studies from simulation to trained model.

Run the embedded tiny default with `snakemake --cores all`; see README.md.
"""

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")


include: "rules/common.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/report.smk"


if "galsim" in config:

    include: "rules/galsim_inputs.smk"
    include: "rules/galsim.smk"


if "eor21cm" in config:

    include: "rules/eor21cm_inputs.smk"
    include: "rules/eor21cm.smk"


if "turbulence" in config:

    include: "rules/turbulence_inputs.smk"
    include: "rules/turbulence.smk"


if "crsphere" in config:

    include: "rules/crsphere_inputs.smk"
    include: "rules/crsphere.smk"


if "galaxy10" in config:

    include: "rules/galaxy10_inputs.smk"
    include: "rules/galaxy10.smk"


rule all:
    default_target: True
    input:
        [study_targets(study) for study in config["studies"]],


for _study in STUDY_TARGETS:

    rule:
        name:
            _study
        input:
            study_targets(_study),
        localrule: True
