"""Entry point of rule `classification_table`.

Runs `sim2model.stages.report.classification_table`.
"""

from sim2model.runtime import run_job
from sim2model.stages.report import classification_table

run_job(snakemake, classification_table)  # noqa: F821
