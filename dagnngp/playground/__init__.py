"""An interactive motif playground: build a DAG by clicking and watch its kernels change.

``dagnngp playground`` serves the page (:mod:`dagnngp.playground.server`);
:func:`compute_views` computes what it shows and :func:`widget` shows the same
views in a Jupyter notebook.

>>> from dagnngp.playground import compute_views
>>> compute_views({"motifs": ["2_21_112"]})["results"][0]["paths"]
4
"""

from dagnngp.playground.views import RequestError, compute_views, motif_from_text
from dagnngp.playground.widget import widget

__all__ = ["RequestError", "compute_views", "motif_from_text", "widget"]
