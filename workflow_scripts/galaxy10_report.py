"""Entry point of rule `galaxy10_report`: runs `sim2model.studies.galaxy10.report`'s function."""

from sim2model.runtime import run_job
from sim2model.studies.galaxy10.report import galaxy10_report

run_job(snakemake, galaxy10_report)  # noqa: F821
