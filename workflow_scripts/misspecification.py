"""Entry point of rule `misspecification`: runs
`sim2model.stages.misspecification.misspecification`."""

from sim2model.runtime import run_job
from sim2model.stages.misspecification import misspecification

run_job(snakemake, misspecification)  # noqa: F821
