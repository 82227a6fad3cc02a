"""Entry point of rule `regression_figures`: runs `sim2model.stages.report.regression_figures`."""

from sim2model.runtime import run_job
from sim2model.stages.report import regression_figures

run_job(snakemake, regression_figures)  # noqa: F821
