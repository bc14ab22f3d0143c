"""MkDocs hooks: add the jupytext notebooks to the site and fill the generated parts of pages.

* the notebooks live in ``notebooks/`` at the repository root (outside ``docs/``); they are
  added to the build before mkdocs-jupyter sees the files, which executes and renders them;
* the package's layers sit at the repository root (``theory/``, ``numerics/``,
  ``proofs_check/``) and are installed as ``dagnngp.<layer>``; for the API reference the
  sources are copied into one ``dagnngp`` tree in a temporary folder, which mkdocstrings reads;
  in the copy, each doctest block that does not already sit in an ``Examples`` section gets
  that NumPy-style heading, so the examples render as code;
* in the same copy, Sphinx roles in docstrings (``:func:`nngp```, ``:class:`~dagnngp.Motif```, ...)
  become mkdocstrings cross-references when their target is shown on the API page, and plain
  code otherwise, so no literal role reaches the site and a reference that does not resolve
  fails the strict build;
* notebook pages lose the MathJax tags nbconvert writes: formulas are typeset by the KaTeX copy
  in ``docs/assets/katex`` (see ``docs/assets/math.js``);
* ``<!-- dagnngp:cli-help -->`` becomes the ``--help`` text of every ``dagnngp`` command;
* ``<!-- dagnngp:errata-verdicts -->`` becomes the table of the current proofs_check verdicts
  (a quick run of the suite, so the page cannot go stale).
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import re
import shutil
import tempfile
from pathlib import Path

import yaml
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


ROLE = re.compile(r":(?:py:)?(?:meth|class|func|data|mod|attr|exc|obj|const|ref|doc|term|any):`([^`]+)`")
DIRECTIVE = re.compile(r"^::: *([\w.]+) *$")


def documented_paths(api_md: str) -> set[str]:
    """The canonical dotted paths of the objects that the API page renders.

    Each ``::: module`` directive renders the module, the public members it lists in
    ``options.members`` (or, without that list, its public members defined in it or named in its
    ``__all__``), and the public attributes, methods and properties those classes define.
    """
    lines = api_md.splitlines()
    out: set[str] = set()
    for i, line in enumerate(lines):
        match = DIRECTIVE.match(line.strip())
        if not match:
            continue
        block = []
        for follow in lines[i + 1:]:
            if follow.strip() and not follow.startswith((" ", "\t")):
                break
            block.append(follow)
        options = (yaml.safe_load("\n".join(block)) or {}).get("options") or {}
        try:
            module = importlib.import_module(match.group(1))
        except ImportError:
            continue
        out.add(module.__name__)
        names = options.get("members")
        if names is None:
            exported = set(getattr(module, "__all__", ()))
            names = [n for n, obj in vars(module).items() if not n.startswith("_")
                     and (n in exported or getattr(obj, "__module__", None) == module.__name__)]
        for name in names:
            obj = getattr(module, name, None)
            if obj is None and name not in vars(module):
                continue
            path = _canonical(obj) if inspect.isclass(obj) or inspect.isfunction(obj) else None
            path = path or f"{module.__name__}.{name}"
            out.add(path)
            if inspect.isclass(obj):
                members = set(vars(obj)) | set(getattr(obj, "__annotations__", {}))
                out |= {f"{path}.{m}" for m in members if not m.startswith("_")}
    return out


def _canonical(obj: object) -> str | None:
    if inspect.ismodule(obj):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<" not in qualname:
        return f"{module}.{qualname}"
    return None


def _resolve(target: str, namespace: dict) -> str | None:
    """The canonical dotted path of a role's target, looked up as Python would, or None."""
    parts = target.split(".")
    starts = [(namespace[parts[0]], parts[1:])] if parts[0] in namespace else []
    for cut in range(len(parts), 0, -1):
        with contextlib.suppress(ImportError, ValueError):
            starts.append((importlib.import_module(".".join(parts[:cut])), parts[cut:]))
            break
    for obj, attrs in starts:
        path = _walk(obj, attrs)
        if path:
            return path
    return None


def _walk(obj: object, attrs: list[str]) -> str | None:
    for i, attr in enumerate(attrs):
        if inspect.isclass(obj):
            owner = next((k for k in obj.__mro__
                          if attr in vars(k) or attr in getattr(k, "__annotations__", {})), None)
            if owner is None:
                return None
            member = getattr(obj, attr, None)
            if not (inspect.isclass(member) or inspect.isroutine(member)):
                # a property or attribute: documented under the class that defines it
                return f"{_canonical(owner)}.{attr}" if i == len(attrs) - 1 else None
            obj = member
        elif hasattr(obj, attr):
            obj = getattr(obj, attr)
        else:
            return None
    return _canonical(obj)


def convert_roles(text: str, namespace: dict, documented: set[str]) -> str:
    """Replace each Sphinx role by a cross-reference to a documented object, or by inline code.

    ``:func:`~pkg.mod.f``` shows ``f`` and ``:func:`pkg.mod.f``` the whole path, as Sphinx does.
    """

    def repl(match: re.Match) -> str:
        target = match.group(1).strip()
        if "<" in target and target.endswith(">"):  # :ref:`title <target>`
            title, target = (s.strip() for s in target[:-1].split("<", 1))
        else:
            target = target.lstrip("!")
            title = target.split(".")[-1] if target.startswith("~") else target
        target = target.lstrip("~")
        path = _resolve(target, namespace)
        if path in documented:
            return f"[`{title}`][{path}]"
        return f"`{title}`"

    return ROLE.sub(repl, text)


def _module_name(path: Path, src: Path) -> str:
    parts = path.relative_to(src).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@event_priority(100)  # before mkdocstrings reads its handler options
def on_config(config):
    src = Path(tempfile.mkdtemp(prefix="dagnngp-api-src-"))
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "dagnngp", src / "dagnngp", ignore=ignore)
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, src / "dagnngp" / layer, ignore=ignore)
    documented = documented_paths((Path(config["docs_dir"]) / "api.md").read_text(encoding="utf-8"))
    for path in (src / "dagnngp").rglob("*.py"):
        text = mark_examples(path.read_text(encoding="utf-8"))
        if ROLE.search(text):
            try:
                namespace = vars(importlib.import_module(_module_name(path, src)))
            except ImportError:
                namespace = {}
            text = convert_roles(text, namespace, documented)
        path.write_text(text, encoding="utf-8")
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


_NBCONVERT_MATHJAX = re.compile(
    r'<script src="[^"]*">\s*</script>\s*<!-- MathJax configuration -->.*?'
    r"<!-- End of mathjax configuration -->|<!-- Load mathjax -->", re.S)


def on_post_page(output, page, config):
    """Drop the MathJax loader nbconvert puts in notebook pages (KaTeX typesets them instead)."""
    return _NBCONVERT_MATHJAX.sub("", output)


def on_page_markdown(markdown, page, config, files):
    if "<!-- dagnngp:cli-help -->" in markdown:
        markdown = markdown.replace("<!-- dagnngp:cli-help -->", _cli_help())
    if "<!-- dagnngp:errata-verdicts -->" in markdown:
        markdown = markdown.replace("<!-- dagnngp:errata-verdicts -->", _errata())
    return markdown
