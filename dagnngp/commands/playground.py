"""``dagnngp playground``: an interactive page to build motifs and watch their kernels.

Needs the ``playground`` extra (``pip install "dagnngp[playground]"``: Starlette
and uvicorn).  Serves on 127.0.0.1 at a free port by default, prints the URL and
opens it in a browser unless ``--no-browser`` is given.

>>> from dagnngp.cli import main
>>> main(["playground", "--port", "70000", "--no-browser"])
2
"""

from __future__ import annotations

import argparse

from dagnngp.commands._common import int_range

HELP = "interactive web page: build a motif by clicking and watch its kernels, bound and training curve"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int_range(0, 65535), default=0,
                        help="port to listen on (default 0: a free port)")
    parser.add_argument("--no-browser", action="store_true", help="print the URL but open no browser")


def run(args: argparse.Namespace) -> int:
    try:
        from dagnngp.playground.server import serve
    except ImportError as exc:
        raise ValueError(f"the playground needs the 'playground' extra ({exc.name} is missing): "
                         'pip install "dagnngp[playground]"') from None
    serve(args.host, args.port, open_browser=not args.no_browser)
    return 0
