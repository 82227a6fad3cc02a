"""Entry point of rule `download_reference`.

Runs `sim2model.stages.download.download_reference`.
"""

from sim2model.runtime import run_job
from sim2model.stages.download import download_reference

run_job(snakemake, download_reference)  # noqa: F821
