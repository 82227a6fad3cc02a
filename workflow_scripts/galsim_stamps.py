"""Entry point of rule `galsim_stamps`: runs `sim2model.stages.galsim_report.example_stamps`."""

from sim2model.runtime import run_job
from sim2model.stages.galsim_report import example_stamps

run_job(snakemake, example_stamps)  # noqa: F821
