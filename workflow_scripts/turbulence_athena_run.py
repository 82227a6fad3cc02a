"""Entry point of rule `turbulence_athena_run`.

Runs `sim2model.studies.turbulence.athena_stage.turbulence_athena_run`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.athena_stage import turbulence_athena_run

run_job(snakemake, turbulence_athena_run)  # noqa: F821
