"""``python -m dagnngp``: the same as the ``dagnngp`` command.

>>> import subprocess, sys
>>> out = subprocess.run([sys.executable, "-m", "dagnngp", "--version"], capture_output=True, text=True)
>>> out.returncode, out.stdout.startswith("dagnngp ")
(0, True)
"""

import sys

from dagnngp.cli import main

if __name__ == "__main__":
    sys.exit(main())
