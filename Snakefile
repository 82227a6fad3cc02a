"""sim2model: astrophysics studies from simulation to trained model.

Run the embedded tiny default with `snakemake --cores all`; see README.md and docs/.
"""

import sys

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

# The rules ask the library (sim2model/studies) about each study; jobs find it beside their scripts.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow_scripts"))

from sim2model.errors import ConfigError
from sim2model.schema import validate_config


configfile: "config/config.yaml"


# Schema first (config/schema.yaml and a file per study section, config/schema/<study>.yaml),
# with errors naming the deepest failing key; then the schema's defaults are filled in.
try:
    validate_config(config, Path(workflow.basedir) / "config/schema.yaml")
except ConfigError as error:
    raise WorkflowError(str(error)) from None


include: "rules/common.smk"
include: "rules/download.smk"
include: "rules/source.smk"
include: "rules/dataset.smk"
include: "rules/train.smk"
include: "rules/generate.smk"
include: "rules/report.smk"
include: "rules/cost.smk"
include: "rules/reference.smk"
include: "rules/search.smk"
include: "rules/sweep.smk"


# A study's own paths, targets and rules, if it has any: rules/studies/<study>.smk. Only the
# studies listed in `studies` are loaded.
for _study in STUDIES:
    if (Path(workflow.basedir) / f"rules/studies/{_study}.smk").is_file():

        include: f"rules/studies/{_study}.smk"


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
