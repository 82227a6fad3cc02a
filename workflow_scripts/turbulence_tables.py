"""Entry point of rule `turbulence_tables`.

Runs `sim2model.studies.turbulence.report.turbulence_tables`.
"""

from sim2model.runtime import run_job
from sim2model.studies.turbulence.report import turbulence_tables

run_job(snakemake, turbulence_tables)  # noqa: F821
