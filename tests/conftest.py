"""Setup shared by every test module."""

from __future__ import annotations

import os

# Tests start child interpreters (``python -c``, ``python -m``) from the repository root.  They must
# import the installed package, not the checkout's dagnngp/ folder: the layers theory/, numerics/
# and proofs_check/ sit beside that folder and exist as dagnngp.<layer> only once installed.
os.environ.setdefault("PYTHONSAFEPATH", "1")
