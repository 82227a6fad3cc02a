"""Entry point of rule `crsphere_figures`.

Runs `sim2model.studies.crsphere.report.crsphere_figures`.
"""

from sim2model.runtime import run_job
from sim2model.studies.crsphere.report import crsphere_figures

run_job(snakemake, crsphere_figures)  # noqa: F821
