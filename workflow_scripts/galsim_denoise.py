"""Entry point of rule `galsim_denoise`: runs `sim2model.studies.galsim.denoise.galsim_denoise`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.denoise import galsim_denoise

run_job(snakemake, galsim_denoise)  # noqa: F821
