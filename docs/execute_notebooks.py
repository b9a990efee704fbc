"""Execute the notebooks and store their outputs; put the stored notebooks on the documentation site.

The notebooks in ``notebooks/`` are kept *with* their outputs, so that a
reader sees every table, number and figure on the documentation site (and
on GitHub) without running anything.  This file has two uses.

As a script::

    python docs/execute_notebooks.py               # all three notebooks
    python docs/execute_notebooks.py 02-participation-and-reciprocity.ipynb

runs each notebook top to bottom with nbclient, with the settings of the
documentation (not ``PEERSCOPE_NOTEBOOK_FAST``), on the real data of
``$PEERSCOPE_SHARED_DATA`` (else ``../shared/data``), with figures drawn by
the inline backend, and writes it back with its outputs.  Run it after
changing a notebook or the code a notebook shows: ``tests/test_notebooks.py``
executes the notebooks the same way and fails while their text outputs
differ from the stored ones.

As a MkDocs hook (``hooks:`` in ``mkdocs.yml``): :func:`on_files` adds
``notebooks/*.ipynb`` to the site's files as ``notebooks/<name>.ipynb``,
which the mkdocs-jupyter plugin renders from the stored outputs
(``execute: false``), so building the site runs no notebook code.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
#: What a stored notebook may weigh, outputs and figures included.
MAX_BYTES = 1_500_000
#: The matplotlib backend of the kernel: figures become PNG outputs (an ``MPLBACKEND=Agg`` of
#: the calling environment would otherwise leave the stored notebooks without figures).
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def notebook_paths() -> list[Path]:
    """The notebooks of ``notebooks/``, by name."""
    return sorted(NOTEBOOKS.glob("*.ipynb"))


@contextlib.contextmanager
def _environment(changes: dict[str, str | None]):
    """Set (or, for None, remove) environment variables for the kernel, restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in changes}
    try:
        for name, value in changes.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(path: str | os.PathLike, *, fast: bool = False, shared_data: str | os.PathLike | None = None,
            out: str | os.PathLike | None = None, timeout: int = 900):
    """Run the notebook at ``path`` top to bottom and return it with its outputs (the file is not written).

    Parameters
    ----------
    path : path-like
        The ``.ipynb`` file.  Its stored outputs are cleared first.
    fast : bool
        Set ``PEERSCOPE_NOTEBOOK_FAST=1`` (small samples, few passes).  The
        stored notebooks are executed with ``fast=False``.
    shared_data : path-like, optional
        The real data folder (``PEERSCOPE_SHARED_DATA``); default: the
        environment's, else ``../shared/data`` beside the repository.  A
        folder without the data makes the notebooks use the synthetic sample.
    out : path-like, optional
        ``PEERSCOPE_NOTEBOOK_OUT`` (where the quickstart writes its corpus and
        report); default: the environment's, else a temporary folder removed
        afterwards.
    timeout : int
        Seconds one cell may take.

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        Naming the cell that failed and its traceback.
    """
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            cell.metadata.pop("execution", None)
    with contextlib.ExitStack() as stack:
        if out is None and not os.environ.get("PEERSCOPE_NOTEBOOK_OUT"):
            out = stack.enter_context(tempfile.TemporaryDirectory(prefix="peerscope-notebook-"))
        changes = {"PEERSCOPE_NOTEBOOK_FAST": "1" if fast else None, "MPLBACKEND": INLINE_BACKEND}
        if shared_data is not None:
            changes["PEERSCOPE_SHARED_DATA"] = str(shared_data)
        if out is not None:
            changes["PEERSCOPE_NOTEBOOK_OUT"] = str(out)
        stack.enter_context(_environment(changes))
        client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=False,
                                         resources={"metadata": {"path": str(NOTEBOOKS)}})
        client.execute()
    notebook.metadata.pop("widgets", None)  # progress-bar widget state: nothing a static page can show
    notebook.metadata["peerscope"] = {"executed_by": "docs/execute_notebooks.py", "fast": fast}
    return notebook


def text_outputs(notebook) -> list[list[str]]:
    """What each code cell shows, as text: printed output, the plain-text form of results, figure markers.

    One list per code cell.  Standard error (warnings, progress bars) is
    left out: it depends on the installed versions, not on peerscope.  A
    PNG figure counts as the marker ``[image/png]`` (its pixels depend on
    the fonts and the matplotlib version).
    """
    shown = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        texts: list[str] = []
        after_stdout = False
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            is_stdout = kind == "stream" and output.get("name") == "stdout"
            if is_stdout and after_stdout:  # one print may arrive in several pieces
                texts[-1] += output["text"]
            elif is_stdout:
                texts.append(output["text"])
            elif kind == "error":
                texts.append(f"[error] {output.get('ename')}: {output.get('evalue')}")
            elif kind in ("execute_result", "display_data"):
                data = output.get("data", {})
                if "image/png" in data:
                    texts.append("[image/png]")
                elif "text/plain" in data:
                    texts.append(data["text/plain"])
            if kind != "stream" or is_stdout:
                after_stdout = is_stdout
        shown.append(texts)
    return shown


def store(path: str | os.PathLike, **kw) -> tuple[float, int]:
    """Execute the notebook at ``path`` (:func:`execute`) and write it back; return (seconds, bytes)."""
    import nbformat

    started = time.perf_counter()
    notebook = execute(path, **kw)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    size = Path(path).stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{Path(path).name} weighs {size:,} bytes with its outputs (limit {MAX_BYTES:,}): "
                         "make its figures smaller or fewer")
    return time.perf_counter() - started, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Execute notebooks/*.ipynb and store their outputs.")
    parser.add_argument("names", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--shared-data", help="the real data folder (default: $PEERSCOPE_SHARED_DATA, "
                                              "else ../shared/data)")
    args = parser.parse_args(argv)
    paths = [NOTEBOOKS / name for name in args.names] or notebook_paths()
    for path in paths:
        seconds, size = store(path, shared_data=args.shared_data)
        print(f"{path.name}: executed in {seconds:.0f} s, {size:,} bytes stored", flush=True)
    return 0


# ---------------------------------------------------------------------------
# The MkDocs hook
# ---------------------------------------------------------------------------

try:
    from mkdocs.plugins import event_priority
except ImportError:  # used as a script or by the tests without MkDocs
    def event_priority(priority):
        return lambda function: function


@event_priority(50)  # before mkdocs-jupyter's on_files (priority 0), which turns .ipynb files into pages
def on_files(files, config):
    """Add the stored notebooks to the site as ``notebooks/<name>.ipynb`` (they live outside ``docs/``)."""
    from mkdocs.structure.files import File

    for path in notebook_paths():
        uri = f"notebooks/{path.name}"
        if files.get_file_from_path(uri) is None:
            # a plain file whose source folder is the repository: REPO / uri is the stored notebook
            files.append(File(uri, src_dir=str(REPO), dest_dir=config.site_dir,
                              use_directory_urls=config.use_directory_urls))
    return files


if __name__ == "__main__":
    sys.exit(main())
