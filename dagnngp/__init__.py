"""dagnngp: how a network's connectivity motif shapes its infinite-width NNGP kernel.

The core package holds the motif model; the layers are imported on use:

* :mod:`dagnngp.theory`       -- SymPy derivations of each motif's kernel and bounds;
* :mod:`dagnngp.numerics`     -- numeric kernels (NumPy reference, Numba, array API);
* :mod:`dagnngp.proofs_check` -- executable checks of the paper's lemmas and bounds.

>>> import dagnngp
>>> dagnngp.Motif.parse("2_21_112").n_paths
4
"""

from dagnngp.motif import MAX_NODES, Motif, MotifError, Op

__all__ = ["MAX_NODES", "Motif", "MotifError", "Op", "__version__"]
__version__ = "0.1.0"
