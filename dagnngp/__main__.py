"""``python -m dagnngp``: the same as the ``dagnngp`` command."""

import sys

from dagnngp.cli import main

if __name__ == "__main__":
    sys.exit(main())
