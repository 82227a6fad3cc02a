"""Entry point of rule `turbulence_athena_validation`.

Runs `sim2model.stages.turbulence_athena.turbulence_athena_validation`.
"""

from sim2model.runtime import run_job
from sim2model.stages.turbulence_athena import turbulence_athena_validation

run_job(snakemake, turbulence_athena_validation)  # noqa: F821
