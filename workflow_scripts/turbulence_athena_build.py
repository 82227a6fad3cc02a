"""Entry point of rule `turbulence_athena_build`.

Runs `sim2model.studies.turbulence.athena_stage.turbulence_athena_build`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.athena_stage import turbulence_athena_build

run_job(snakemake, turbulence_athena_build)  # noqa: F821
