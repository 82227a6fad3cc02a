"""Entry point of rule `manifest`: runs `sim2model.stages.provenance.write_manifest`."""

from sim2model.runtime import run_job
from sim2model.stages.provenance import write_manifest

run_job(snakemake, write_manifest)  # noqa: F821
