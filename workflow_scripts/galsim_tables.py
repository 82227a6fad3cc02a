"""Entry point of rule `galsim_tables`: runs `sim2model.studies.galsim.report.galsim_tables`."""

from sim2model.runtime import run_job
from sim2model.studies.galsim.report import galsim_tables

run_job(snakemake, galsim_tables)  # noqa: F821
