"""Entry point of rule `eor_tables`: runs `sim2model.stages.eor21cm_report.eor_tables`."""

from sim2model.runtime import run_job
from sim2model.stages.eor21cm_report import eor_tables

run_job(snakemake, eor_tables)  # noqa: F821
