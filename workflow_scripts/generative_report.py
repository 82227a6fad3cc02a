"""Entry point of rule `generative_report`: runs it from `sim2model.stages.generate_report`."""

from sim2model.runtime import run_job
from sim2model.stages.generate_report import generative_report

run_job(snakemake, generative_report)  # noqa: F821
