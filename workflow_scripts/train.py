"""Entry point of rule `train`: runs `sim2model.stages.train.train`."""

from sim2model.runtime import run_job
from sim2model.stages.train import train

run_job(snakemake, train)  # noqa: F821
