"""run_job: a job's named inputs, outputs and params become keyword arguments."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sim2model.runtime import job_arguments


class Named(dict):
    """Snakemake's named lists expose ``items()`` like a dict."""


def _job(**params):
    return SimpleNamespace(
        rule="r", input=Named(data="in.h5"), output=Named(table="out.csv"), params=Named(params)
    )


def test_the_caption_reaches_only_functions_that_take_it():
    def table(data, table, *, caption):
        return caption

    def figure(data, table, *, bins):
        return bins

    job = _job(bins=3, caption="Data: simulated.")
    assert table(**job_arguments(_job(caption="Data: simulated."), table)) == "Data: simulated."
    assert job_arguments(job, figure) == {"data": "in.h5", "table": "out.csv", "bins": 3}


def test_a_name_used_twice_is_refused():
    with pytest.raises(ValueError, match="'data' used twice"):
        job_arguments(_job(data=1))
