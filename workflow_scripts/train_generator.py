"""Entry point of rule `train_generator`: runs `sim2model.stages.generate.train_generator`."""

from sim2model.runtime import run_job
from sim2model.stages.generate import train_generator

run_job(snakemake, train_generator)  # noqa: F821
