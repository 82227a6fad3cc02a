"""Entry point of rule `crsphere_shard`: runs `sim2model.stages.crsphere.crsphere_shard`."""

from sim2model.runtime import run_job
from sim2model.stages.crsphere import crsphere_shard

run_job(snakemake, crsphere_shard)  # noqa: F821
