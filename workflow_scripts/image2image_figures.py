"""Entry point of rule `image2image_figures`: runs `sim2model.stages.report.image2image_figures`."""

from sim2model.runtime import run_job
from sim2model.stages.report import image2image_figures

run_job(snakemake, image2image_figures)  # noqa: F821
