"""Entry point of rule `manifest`: runs `sim2model.stages.provenance.manifest`."""

from sim2model.runtime import run_job
from sim2model.stages.provenance import manifest

run_job(snakemake, manifest)  # noqa: F821
