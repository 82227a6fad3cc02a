"""Entry point of rule `galsim_baseline`: runs `sim2model.stages.galsim.galsim_baseline`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim import galsim_baseline

run_job(snakemake, galsim_baseline)  # noqa: F821
