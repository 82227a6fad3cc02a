"""Entry point of rule `galaxy10_shard`: runs `sim2model.stages.galaxy10.galaxy10_shard`."""

from sim2model.runtime import run_job
from sim2model.stages.galaxy10 import galaxy10_shard

run_job(snakemake, galaxy10_shard)  # noqa: F821
