"""Entry point of rule `merge_testset`: runs `sim2model.stages.dataset.merge_testset`."""

from sim2model.runtime import run_job
from sim2model.stages.dataset import merge_testset

run_job(snakemake, merge_testset)  # noqa: F821
