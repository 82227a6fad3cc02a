"""Entry point of rule `athdf_to_fits`: runs `sim2model.studies.turbulence.cubes.athdf_to_fits`."""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.cubes import athdf_to_fits

run_job(snakemake, athdf_to_fits)  # noqa: F821
