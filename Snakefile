"""sim2model: astrophysics studies from simulation to trained model.

Run the embedded tiny default with `snakemake --cores all`; see README.md and docs/.
"""

import sys

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version, validate

min_version("9.0")

# The rules ask the library (sim2model/studies) about each study; jobs find it beside their scripts.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow_scripts"))

from sim2model.errors import ConfigError
from sim2model.schema import check_schema


configfile: "config/config.yaml"


# Schema first, with errors naming the deepest failing key; then Snakemake fills in defaults.
try:
    check_schema(
        config, yaml.safe_load(open(Path(workflow.basedir) / "config/schema.yaml"))
    )
except ConfigError as error:
    raise WorkflowError(str(error)) from None
validate(config, "config/schema.yaml")


include: "rules/common.smk"
include: "rules/source.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/generate.smk"
include: "rules/report.smk"
include: "rules/search.smk"


# A study's own rules, if it has any: rules/<study>_inputs.smk (paths, input functions, targets)
# and rules/<study>.smk (its rules). Only the studies listed in `studies` are loaded.
for _study in STUDIES:
    for _rules in (f"rules/{_study}_inputs.smk", f"rules/{_study}.smk"):
        if (Path(workflow.basedir) / _rules).is_file():

            include: _rules


rule all:
    default_target: True
    input:
        [study_targets(study) for study in STUDIES],


for _study in STUDIES:

    rule:
        name:
            _study
        input:
            study_targets(_study),
        localrule: True
