"""Entry point of rule `galsim_crb`: runs `sim2model.stages.galsim.crb_table`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim import crb_table

run_job(snakemake, crb_table)  # noqa: F821
