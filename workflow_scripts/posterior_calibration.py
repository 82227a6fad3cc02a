"""Entry point of rule `posterior_calibration`: runs
`sim2model.stages.calibration.posterior_calibration`."""

from sim2model.runtime import run_job
from sim2model.stages.calibration import posterior_calibration

run_job(snakemake, posterior_calibration)  # noqa: F821
