"""Entry point of rule `eor_figures`: runs `sim2model.stages.eor21cm_report.eor_figures`."""

from sim2model.runtime import run_job
from sim2model.stages.eor21cm_report import eor_figures

run_job(snakemake, eor_figures)  # noqa: F821
