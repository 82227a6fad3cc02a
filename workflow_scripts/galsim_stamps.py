"""Entry point of rule `galsim_stamps`: runs `sim2model.studies.galsim.report.galsim_stamps`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.report import galsim_stamps

run_job(snakemake, galsim_stamps)  # noqa: F821
