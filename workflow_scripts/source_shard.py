"""Entry point of rule `source_shard`: runs `sim2model.stages.source.source_shard`."""

from sim2model.runtime import run_job
from sim2model.stages.source import source_shard

run_job(snakemake, source_shard)  # noqa: F821
