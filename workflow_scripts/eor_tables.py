"""Entry point of rule `eor_tables`: runs `sim2model.studies.eor21cm.report.eor_tables`."""

from sim2model.runtime import run_job
from sim2model.studies.eor21cm.report import eor_tables

run_job(snakemake, eor_tables)  # noqa: F821
