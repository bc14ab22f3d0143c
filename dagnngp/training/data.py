"""Embedded data for training runs: handwritten digits and synthetic inputs, never a download.

* :func:`load_digits` -- 8x8 images of handwritten digits: a 200-image table shipped
  with the package (the first 20 of each digit), or all 1,797 of scikit-learn's bundled
  copy when scikit-learn is installed (the optional extra ``dagnngp[digits]``).
* :func:`digits_task` -- ``n`` images as unit-norm, per-sample-centred rows (so the
  input node has zero mean at every width) and labels ``+1`` (even digit) / ``-1`` (odd).
* :func:`synthetic_task` -- ``n`` random unit-norm centred inputs in dimension ``d`` with
  labels ``sign(x . w)`` for a random teacher ``w``.

Both tasks are deterministic given their arguments.

>>> X, y = digits_task(16)
>>> X.shape, sorted(set(y.tolist())), bool(np.allclose(np.linalg.norm(X, axis=1), 1))
((16, 64), [-1.0, 1.0], True)
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

import numpy as np

__all__ = ["DATASETS", "digits_task", "load_digits", "synthetic_task", "task"]

#: the data sets :func:`task` knows
DATASETS = ("digits", "synthetic")

_TABLE = "digits_200.csv.gz"


def _read_table() -> tuple[np.ndarray, np.ndarray]:
    raw = resources.files("dagnngp.training").joinpath("data", _TABLE).read_bytes()
    reader = csv.reader(io.StringIO(gzip.decompress(raw).decode("ascii")))
    next(reader)
    rows = [[int(v) for v in row] for row in reader]
    arr = np.array(rows, dtype=np.int64)
    return arr[:, 1:].astype(np.float64), arr[:, 0]


def load_digits(source: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: images as rows of 64 pixels (0..16), labels 0..9.

    ``source="table"`` reads the 200 images shipped with the package;
    ``"sklearn"`` all 1,797 of scikit-learn's bundled copy (no download; needs scikit-learn).

    >>> images, labels = load_digits()
    >>> images.shape, labels[:12].tolist()
    ((200, 64), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
    """
    if source == "table":
        return _read_table()
    if source == "sklearn":
        try:
            from sklearn.datasets import load_digits as _sk_digits
        except ImportError:
            raise ValueError("source='sklearn' needs scikit-learn (pip install 'dagnngp[digits]'); "
                             "source='table' uses the 200 images shipped with dagnngp") from None
        d = _sk_digits()
        return np.asarray(d.data, dtype=np.float64), np.asarray(d.target, dtype=np.int64)
    raise ValueError(f"source={source!r} is not known; use 'table' or 'sklearn'")


def _count(n: object, limit: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 2 <= int(n) <= limit:
        raise ValueError(f"n={n!r}: {what} takes an integer number of inputs in 2..{limit}")
    return int(n)


def _embed(X: np.ndarray) -> np.ndarray:
    X = X - X.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("an input is constant: it has no direction after centring")
    return X / norms


def digits_task(n: int = 16, source: str = "table") -> tuple[np.ndarray, np.ndarray]:
    """``n`` digit images (the first ``n`` rows, which cycle through 0-9) and parity labels.

    Rows are centred and scaled to unit norm; ``y = +1`` for an even digit, ``-1`` for an odd one.
    """
    images, labels = load_digits(source)
    n = _count(n, images.shape[0], "digits_task")
    return _embed(images[:n]), np.where(labels[:n] % 2 == 0, 1.0, -1.0)


def synthetic_task(n: int = 16, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random unit-norm centred inputs in dimension ``d`` and teacher labels ``sign(x . w)``.

    >>> X, y = synthetic_task(4, 3)
    >>> X.shape, y.shape
    ((4, 3), (4,))
    """
    n = _count(n, 10**6, "synthetic_task")
    if isinstance(d, bool) or not isinstance(d, int | np.integer) or not 2 <= int(d) <= 10**5:
        raise ValueError(f"d={d!r}: the input dimension must be an integer in 2..100000")
    rng = np.random.default_rng(seed)
    X = _embed(rng.standard_normal((n, int(d))))
    w = rng.standard_normal(int(d))
    return X, np.where(X @ w >= 0, 1.0, -1.0)


def task(name: str, n: int = 16, d: int = 8, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """:func:`digits_task` (``name="digits"``) or :func:`synthetic_task` (``"synthetic"``)."""
    if name == "digits":
        return digits_task(n)
    if name == "synthetic":
        return synthetic_task(n, d, seed)
    raise ValueError(f"data set {name!r} is not known; use one of {', '.join(DATASETS)}")
