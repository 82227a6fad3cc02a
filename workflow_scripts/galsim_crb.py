"""Entry point of rule `galsim_crb`: runs `sim2model.stages.galsim.galsim_crb`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim import galsim_crb

run_job(snakemake, galsim_crb)  # noqa: F821
