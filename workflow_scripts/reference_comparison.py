"""Entry point of rule `reference_comparison`.

Runs `sim2model.stages.reference_comparison.reference_comparison`.
"""

from sim2model.runtime import run_job
from sim2model.stages.reference_comparison import reference_comparison

run_job(snakemake, reference_comparison)  # noqa: F821
