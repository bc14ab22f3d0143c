"""dagnngp: how a network's connectivity motif shapes its infinite-width NNGP kernel.

The core package holds the motif model; the layers are imported on use:

* :mod:`dagnngp.theory`       -- SymPy derivations of each motif's kernel and bounds;
* :mod:`dagnngp.numerics`     -- numeric kernels (NumPy reference, Numba, array API);
* :mod:`dagnngp.proofs_check` -- executable checks of the paper's lemmas and bounds.

>>> import dagnngp
>>> dagnngp.Motif.parse("2_21_112").n_paths
4
"""

import os as _os

from dagnngp.motif import MAX_NODES, Motif, MotifError, Op

# In a source checkout the layers theory/, numerics/ and proofs_check/ sit beside
# this folder and are installed as dagnngp.<layer>.  When Python imports this
# folder straight from the checkout (``python -m`` from the repository root),
# let the package find them there too.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_checkout, "pyproject.toml")) and _os.path.isfile(
    _os.path.join(_checkout, "numerics", "__init__.py")
):
    __path__.append(_checkout)

__all__ = ["MAX_NODES", "Motif", "MotifError", "Op", "__version__"]
__version__ = "0.1.0"
