"""Entry point of rule `generate_maps`: runs `sim2model.stages.generate.generate_maps`."""

from sim2model.runtime import run_job
from sim2model.stages.generate import generate_maps

run_job(snakemake, generate_maps)  # noqa: F821
