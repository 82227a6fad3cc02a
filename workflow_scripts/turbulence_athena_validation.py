"""Entry point of rule `turbulence_athena_validation`.

Runs `sim2model.studies.turbulence.athena_stage.turbulence_athena_validation`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.athena_stage import turbulence_athena_validation

run_job(snakemake, turbulence_athena_validation)  # noqa: F821
