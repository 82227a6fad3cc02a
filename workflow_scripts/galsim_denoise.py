"""Entry point of rule `galsim_denoise`: runs `sim2model.stages.galsim_denoise.galsim_denoise`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim_denoise import galsim_denoise

run_job(snakemake, galsim_denoise)  # noqa: F821
