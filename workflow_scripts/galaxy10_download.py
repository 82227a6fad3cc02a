"""Entry point of rule `galaxy10_download`.

Runs `sim2model.studies.galaxy10.download.galaxy10_download`.
"""

from sim2model.runtime import run_job
from sim2model.studies.galaxy10.download import galaxy10_download

run_job(snakemake, galaxy10_download)  # noqa: F821
