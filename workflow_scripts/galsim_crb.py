"""Entry point of rule `galsim_crb`: runs `sim2model.studies.galsim.evaluation.galsim_crb`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.evaluation import galsim_crb

run_job(snakemake, galsim_crb)  # noqa: F821
