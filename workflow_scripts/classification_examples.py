"""Entry point of rule `classification_examples`.

Runs `sim2model.stages.report.classification_examples`.
"""

from sim2model.runtime import run_job
from sim2model.stages.report import classification_examples

run_job(snakemake, classification_examples)  # noqa: F821
