"""Entry point of rule `cost_table`: runs `sim2model.stages.cost.cost_table`."""

from sim2model.runtime import run_job
from sim2model.stages.cost import cost_table

run_job(snakemake, cost_table)  # noqa: F821
