"""Entry point of rule `galaxy10_download`: runs `sim2model.stages.galaxy10_download`'s function."""

from sim2model.runtime import run_job
from sim2model.stages.galaxy10_download import galaxy10_download

run_job(snakemake, galaxy10_download)  # noqa: F821
