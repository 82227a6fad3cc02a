"""Entry point of rule `sweep_evaluate`: one point of a budget sweep is scored by the evaluate
stage itself (`sim2model.stages.evaluate.evaluate`) on the variant's test split."""

from sim2model.runtime import run_job
from sim2model.stages.evaluate import evaluate as sweep_evaluate

run_job(snakemake, sweep_evaluate)  # noqa: F821
