"""sim2model: astrophysics studies from simulation to trained model.

Run the embedded tiny default with `snakemake --cores all`; see README.md.
"""

import os

from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")

# The library is imported by every job's entry script; jobs inherit this environment.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [str(Path(workflow.basedir) / "workflow_scripts"), os.environ.get("PYTHONPATH")])
)


include: "rules/common.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/report.smk"


if "galsim" in config:

    include: "rules/galsim.smk"


rule all:
    default_target: True
    input:
        [study_targets(study) for study in config["studies"]],
