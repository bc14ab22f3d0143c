"""The playground's web app: a Starlette application served by uvicorn.

Routes (every ``/api`` answer is JSON; a refused request is status 400 or 413
with ``{"error": "one line"}``, never a traceback):

``GET /``                 the page (``static/index.html``)
``GET /static/...``       the page's script, style and the vendored KaTeX
``GET /api/meta``         activations, limits, whether the NTK is available
``POST /api/views``       :func:`~dagnngp.playground.views.compute_views`
``POST /api/jobs``        start a Monte Carlo (``kind: "mc"``), training (``"train"``) or
                          derivation (``"derive"``) job; answers ``{"id": ...}``
``GET /api/jobs/{id}``    the job's status, progress and result
``DELETE /api/jobs/{id}`` cancel it

The page is computed in a worker thread, so a slow request never blocks the
event loop; jobs run in :class:`~dagnngp.playground.jobs.JobManager` threads.

>>> import warnings; warnings.simplefilter("ignore")  # the test client's notices
>>> from starlette.testclient import TestClient
>>> client = TestClient(create_app())
>>> client.post("/api/views", json={"motifs": ["2_2x"]}).json()["error"]
"'2_2x': group 2 ('2x') has the character 'x' at position 3; use only ..."
"""

from __future__ import annotations

import contextlib
import json
import socket
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from dagnngp.limits import ResourceLimitError
from dagnngp.playground import jobs as jobs_mod
from dagnngp.playground.views import (
    ACTIVATIONS,
    MAX_COMPARE,
    MAX_DEPTH,
    MAX_PLAYGROUND_NODES,
    RequestError,
    compute_views,
    ntk_function,
)

__all__ = ["create_app", "free_port", "listening_socket", "serve"]

STATIC = Path(__file__).with_name("static")
#: Largest request body read (bytes); a request is a few hundred bytes.
MAX_BODY = 64 * 1024


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())[:500]}, status_code=status)


async def _body(request: Request) -> Any:
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise RequestError(f"the request is larger than {MAX_BODY // 1024} KiB")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise RequestError(f"the request is larger than {MAX_BODY // 1024} KiB")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise RequestError("the request body is not valid JSON") from None


def create_app(manager: jobs_mod.JobManager | None = None) -> Starlette:
    """The playground application; ``manager`` runs its jobs (a fresh one by default)."""
    manager = manager or jobs_mod.JobManager()

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def meta(request: Request) -> JSONResponse:
        from dagnngp import __version__

        return JSONResponse({
            "version": __version__, "activations": ACTIVATIONS, "max_nodes": MAX_PLAYGROUND_NODES,
            "max_compare": MAX_COMPARE, "max_depth": MAX_DEPTH, "max_width": jobs_mod.MAX_WIDTH,
            "max_draws": jobs_mod.MAX_DRAWS, "max_steps": jobs_mod.MAX_STEPS,
            "ntk": ntk_function() is not None,
        })

    async def views(request: Request) -> JSONResponse:
        body = await _body(request)
        return JSONResponse(await run_in_threadpool(compute_views, body))

    planners = {"mc": jobs_mod.plan_monte_carlo, "train": jobs_mod.plan_training,
                "derive": jobs_mod.plan_derivation}

    async def start_job(request: Request) -> JSONResponse:
        body = await _body(request)
        if not isinstance(body, dict) or body.get("kind") not in planners:
            raise RequestError("a job needs kind 'mc', 'train' or 'derive'")
        kind = body["kind"]
        work = await run_in_threadpool(planners[kind], body)  # validates, may evaluate a kernel
        job = manager.submit(kind, work)
        return JSONResponse({"id": job.id, "kind": kind}, status_code=202)

    async def job_status(request: Request) -> JSONResponse:
        return JSONResponse(manager.get(request.path_params["job_id"]).snapshot())

    async def job_cancel(request: Request) -> JSONResponse:
        return JSONResponse(manager.cancel(request.path_params["job_id"]).snapshot())

    async def refused(request: Request, exc: Exception) -> JSONResponse:
        status = 413 if isinstance(exc, ResourceLimitError) else 400
        return _error(str(exc), status)

    async def failed(request: Request, exc: Exception) -> JSONResponse:
        return _error(f"internal error ({type(exc).__name__}); the request was not completed", 500)

    routes = [
        Route("/", index),
        Route("/api/meta", meta),
        Route("/api/views", views, methods=["POST"]),
        Route("/api/jobs", start_job, methods=["POST"]),
        Route("/api/jobs/{job_id}", job_status, methods=["GET"]),
        Route("/api/jobs/{job_id}", job_cancel, methods=["DELETE"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        manager.cancel_all()

    app = Starlette(routes=routes, exception_handlers={ValueError: refused, MemoryError: refused,
                                                       Exception: failed}, lifespan=lifespan)
    app.state.jobs = manager
    return app


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: a free one the system picks) and already listening.

    Listening before the server starts means the printed URL accepts connections at once.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        raise OSError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the operating system picks it)."""
    with listening_socket(host) as s:
        return int(s.getsockname()[1])


def serve(host: str = "127.0.0.1", port: int = 0, open_browser: bool = True) -> None:
    """Serve the playground until interrupted; prints the URL and opens it in a browser when asked.

    ``port`` 0 takes a free port.  The socket listens before the URL is printed.
    """
    import uvicorn

    compute_views({"motifs": ["2_21_112"]})  # loads the numeric layers before the first visitor waits
    sock = listening_socket(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    server = uvicorn.Server(uvicorn.Config(create_app(), log_level="warning", lifespan="on"))
    print(f"dagnngp playground: serving on {url}  (Ctrl-C stops it)", flush=True)
    if open_browser:
        import webbrowser

        try:
            webbrowser.open(url)
        except Exception:  # noqa: BLE001 - no usable browser: the printed URL is enough
            pass
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
