"""Entry point of rule `eor21cm_shard`: runs `sim2model.stages.eor21cm.make_shard`."""

from sim2model.runtime import run_job
from sim2model.stages.eor21cm import make_shard

run_job(snakemake, make_shard)  # noqa: F821
