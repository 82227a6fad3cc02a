"""Entry point of rule `eor_split_comparison`: runs its function in `stages.eor21cm_report`."""

from sim2model.runtime import run_job
from sim2model.studies.eor21cm.report import eor_split_comparison

run_job(snakemake, eor_split_comparison)  # noqa: F821
