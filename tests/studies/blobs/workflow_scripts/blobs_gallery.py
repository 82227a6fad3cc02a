"""Entry point of rule `blobs_gallery`: runs `sim2model.studies.blobs.gallery.blobs_gallery`."""

from sim2model.runtime import run_job
from sim2model.studies.blobs.gallery import blobs_gallery

run_job(snakemake, blobs_gallery)  # noqa: F821
