"""Training: the fit loop, its backend, its jobs' preamble and what they record."""

#: History column of an epoch's wall seconds: written by :class:`sim2model.train.timing.EpochTimer`
#: (and the trainers that time their own epochs), read by :mod:`sim2model.stages.cost`.
EPOCH_SECONDS = "epoch_seconds"
