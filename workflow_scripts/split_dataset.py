"""Entry point of rule `split_dataset`: runs `sim2model.stages.dataset.split_dataset`."""

from sim2model.runtime import run_job
from sim2model.stages.dataset import split_dataset

run_job(snakemake, split_dataset)  # noqa: F821
