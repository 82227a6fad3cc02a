"""Entry point of rule `sweep_train`: one point of a budget sweep is the train stage itself
(`sim2model.stages.train.train`), on the nested training subset its `nested` param names."""

from sim2model.runtime import run_job
from sim2model.stages.train import train as sweep_train

run_job(snakemake, sweep_train)  # noqa: F821
