"""Figure builders: each ``*_figure`` function draws plain arrays and returns a Matplotlib
:class:`~matplotlib.figure.Figure`; :func:`sim2model.plots.style.save_figure` is the one place a
figure is written to disk."""
