"""GalSim re-rendering of test galaxies from (predicted) parameters."""

import numpy as np
import pytest

from sim2model.studies.galsim.evaluation import central_value, rerender
from sim2model.studies.galsim.galaxies import limit_threads, simulate_shard
from sim2model.studies.galsim.prior import GalaxyPrior

limit_threads(1)


@pytest.mark.parametrize("psf_fwhm", [(0.5, 0.5), (0.5, 1.0)])
def test_rerender_from_the_true_parameters_is_the_stored_noiseless_stamp(psf_fwhm):
    prior = GalaxyPrior(n_grid=5, stamp_size=32, psf_fwhm=psf_fwhm)
    ds = simulate_shard(prior, 4, seed=3)
    remade = rerender(ds.y, ds.meta["psf_fwhm"], prior)
    stored = ds.extra["noiseless"].astype(np.float64)
    assert remade.shape == stored.shape
    # the stored targets and stamp are float32: equal to float32 precision of the peak
    peak = stored.max(axis=(1, 2), keepdims=True)
    assert np.max(np.abs(remade - stored) / peak) < 2e-6


def test_rerender_clips_parameters_to_the_prior():
    prior = GalaxyPrior(n_grid=5, stamp_size=16)
    wild = np.array([[1e9, 9.0, 5.0, 0.9, 0.9]])
    clipped = np.array([[prior.flux[1], 6.0, 0.6, 0.67 / np.sqrt(2), 0.67 / np.sqrt(2)]])
    np.testing.assert_allclose(
        rerender(wild, [0.5], prior), rerender(clipped, [0.5], prior), rtol=1e-9
    )


def test_central_value_is_the_middle_block():
    even = np.zeros((2, 4, 4))
    even[:, 1:3, 1:3] = [[1.0, 2.0], [3.0, 4.0]]
    np.testing.assert_array_equal(central_value(even), [2.5, 2.5])
    odd = np.arange(9.0).reshape(3, 3)
    assert central_value(odd) == 4.0
