"""Entry point of rule `classification_figures`.

Runs `sim2model.stages.report.classification_figures`.
"""

from sim2model.runtime import run_job
from sim2model.stages.report import classification_figures

run_job(snakemake, classification_figures)  # noqa: F821
