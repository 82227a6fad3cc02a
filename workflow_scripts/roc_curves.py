"""Entry point of rule `roc_curves`: runs `sim2model.stages.report.roc_curves`."""

from sim2model.runtime import run_job
from sim2model.stages.report import roc_curves

run_job(snakemake, roc_curves)  # noqa: F821
