"""Entry point of rule `learning_curve`: runs `sim2model.stages.learning_curve.learning_curve`."""

from sim2model.runtime import run_job
from sim2model.stages.learning_curve import learning_curve

run_job(snakemake, learning_curve)  # noqa: F821
