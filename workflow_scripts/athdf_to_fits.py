"""Entry point of rule `athdf_to_fits`: runs `sim2model.stages.turbulence.athdf_to_fits`."""

from sim2model.runtime import run_job
from sim2model.stages.turbulence import athdf_to_fits

run_job(snakemake, athdf_to_fits)  # noqa: F821
