"""Entry point of rule `turbulence_cubes`: runs `sim2model.stages.turbulence.turbulence_cubes`."""

from sim2model.runtime import run_job
from sim2model.stages.turbulence import turbulence_cubes

run_job(snakemake, turbulence_cubes)  # noqa: F821
