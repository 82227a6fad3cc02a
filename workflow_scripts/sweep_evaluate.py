"""Entry point of rule `sweep_evaluate`: runs `sim2model.stages.sweep.sweep_evaluate`."""

from sim2model.runtime import run_job
from sim2model.stages.sweep import sweep_evaluate

run_job(snakemake, sweep_evaluate)  # noqa: F821
