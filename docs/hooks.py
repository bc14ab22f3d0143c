"""MkDocs hooks: add the jupytext notebooks to the site and fill the generated parts of pages.

* the notebooks live in ``notebooks/`` at the repository root (outside ``docs/``); they are
  added to the build before mkdocs-jupyter sees the files, which executes and renders them;
* the package's layers sit at the repository root (``theory/``, ``numerics/``,
  ``proofs_check/``) and are installed as ``dagnngp.<layer>``; for the API reference the
  sources are copied into one ``dagnngp`` tree in a temporary folder, which mkdocstrings reads;
  in the copy, each doctest block that does not already sit in an ``Examples`` section gets
  that NumPy-style heading, so the examples render as code;
* ``<!-- dagnngp:cli-help -->`` becomes the ``--help`` text of every ``dagnngp`` command;
* ``<!-- dagnngp:errata-verdicts -->`` becomes the table of the current proofs_check verdicts
  (a quick run of the suite, so the page cannot go stale).
"""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("theory", "numerics", "proofs_check")
_api_src: list[Path] = []


def mark_examples(text: str) -> str:
    """Put a NumPy ``Examples`` heading before each doctest block outside an Examples section."""
    lines = text.split("\n")
    out: list[str] = []
    in_examples = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if '"""' in stripped:
            in_examples = False  # a docstring opens or closes
        if stripped == "Examples" and i + 1 < len(lines) and set(lines[i + 1].strip()) == {"-"}:
            in_examples = True
        starts_block = stripped.startswith(">>>") and (not out or not out[-1].strip() or '"""' in out[-1])
        if starts_block and not in_examples:
            indent = line[: len(line) - len(line.lstrip())]
            if out and '"""' in out[-1]:
                out.append("")
            out += [f"{indent}Examples", f"{indent}--------"]
            in_examples = True
        out.append(line)
    return "\n".join(out)


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config):
    src = Path(tempfile.mkdtemp(prefix="dagnngp-api-src-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "dagnngp", src / "dagnngp", ignore=ignore)
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, src / "dagnngp" / layer, ignore=ignore)
    for path in (src / "dagnngp").rglob("*.py"):
        path.write_text(mark_examples(path.read_text(encoding="utf-8")), encoding="utf-8")
    _api_src.append(src)
    config.plugins["mkdocstrings"].config["handlers"]["python"]["paths"] = [str(src)]
    return config


def on_post_build(config):
    while _api_src:
        shutil.rmtree(_api_src.pop(), ignore_errors=True)


@event_priority(100)  # before mkdocs-jupyter wraps notebook files
def on_files(files, config):
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        files.append(File(f"notebooks/{path.name}", src_dir=str(ROOT), dest_dir=config["site_dir"],
                          use_directory_urls=config["use_directory_urls"]))
    return files


def _cli_help() -> str:
    from dagnngp.cli import COMMANDS, build_parser

    blocks = []
    for args in [[]] + [[name] for name in COMMANDS]:
        parser = build_parser(args[0] if args else None)
        if args:
            sub = next((a for a in parser._actions if a.dest == "command"), None)
            if sub is None or args[0] not in sub.choices:
                continue
            parser = sub.choices[args[0]]
        text = parser.format_help()
        title = "dagnngp" if not args else f"dagnngp {args[0]}"
        blocks.append(f"## `{title}`\n\n```text\n{text.rstrip()}\n```\n")
    return "\n".join(blocks)


def _errata() -> str:
    from dagnngp.report.errata import errata_markdown
    from dagnngp.report.sections import run_check_suite

    with contextlib.redirect_stderr(io.StringIO()):
        records = run_check_suite(quick=True)
    return errata_markdown(records)


def on_page_markdown(markdown, page, config, files):
    if "<!-- dagnngp:cli-help -->" in markdown:
        markdown = markdown.replace("<!-- dagnngp:cli-help -->", _cli_help())
    if "<!-- dagnngp:errata-verdicts -->" in markdown:
        markdown = markdown.replace("<!-- dagnngp:errata-verdicts -->", _errata())
    return markdown
