"""Entry point of rule `galsim_shard`: runs `sim2model.stages.galsim.make_shard`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim import make_shard

run_job(snakemake, make_shard)  # noqa: F821
