"""Entry point of rule `evaluate`: runs `sim2model.stages.evaluate.evaluate`."""

from sim2model.runtime import run_job
from sim2model.stages.evaluate import evaluate

run_job(snakemake, evaluate)  # noqa: F821
