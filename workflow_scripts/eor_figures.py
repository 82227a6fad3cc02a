"""Entry point of rule `eor_figures`: runs `sim2model.studies.eor21cm.report.eor_figures`."""

from sim2model.runtime import run_job
from sim2model.studies.eor21cm.report import eor_figures

run_job(snakemake, eor_figures)  # noqa: F821
