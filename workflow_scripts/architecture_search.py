"""Entry point of rule `architecture_search`: runs `sim2model.stages.search.architecture_search`."""

from sim2model.runtime import run_job
from sim2model.stages.search import architecture_search

run_job(snakemake, architecture_search)  # noqa: F821
