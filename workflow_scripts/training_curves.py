"""Entry point of rule `training_curves`: runs `sim2model.stages.report.training_curves`."""

from sim2model.runtime import run_job
from sim2model.stages.report import training_curves

run_job(snakemake, training_curves)  # noqa: F821
