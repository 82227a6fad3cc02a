"""Entry point of rule `provenance`: runs `sim2model.stages.provenance.write_provenance`."""

from sim2model.runtime import run_job
from sim2model.stages.provenance import write_provenance

run_job(snakemake, write_provenance)  # noqa: F821
