"""Entry point of rule `sweep_train`: runs `sim2model.stages.sweep.sweep_train`."""

from sim2model.runtime import run_job
from sim2model.stages.sweep import sweep_train

run_job(snakemake, sweep_train)  # noqa: F821
