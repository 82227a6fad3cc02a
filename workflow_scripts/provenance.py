"""Entry point of rule `provenance`: runs `sim2model.stages.provenance.provenance`."""

from sim2model.runtime import run_job
from sim2model.stages.provenance import provenance

run_job(snakemake, provenance)  # noqa: F821
