"""The package's shape: a small public surface, private machinery, no import cycles."""

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import peerscope

PACKAGE = Path(peerscope.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Every peerscope module each module imports, at top level or inside a function."""
    edges = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                    + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        edges[name] = {t for t in targets if t in modules and t != name}
    return edges


def test_no_import_cycles_even_through_imports_inside_functions():
    edges = _imports(_modules())
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for target in sorted(edges[node]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_at_most_16_entries_at_the_top_level():
    entries = [p.name for p in PACKAGE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= 16, sorted(entries)


def test_click_is_imported_only_by_the_command_line():
    edges = {name: path.read_text() for name, path in _modules().items()}
    users = sorted(name for name, text in edges.items()
                   if ("import click" in text or "from click" in text) and not name.startswith("peerscope.cli"))
    assert users == []


def test_import_peerscope_loads_nothing_and_submodules_load_lazily():
    code = ("import sys, peerscope; before = sorted(m for m in sys.modules if m.startswith(('peerscope', 'pandas'))); "
            "peerscope.participation.summary; print(before, 'peerscope.participation' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['peerscope'] True"


def test_dir_and_all_list_only_public_names():
    assert set(dir(peerscope)) == set(peerscope.__all__)
    assert not [name for name in peerscope.__all__ if name.startswith("_") and name != "__version__"]
    for name in peerscope.__all__:
        assert getattr(peerscope, name) is not None
    for info in pkgutil.walk_packages(peerscope.__path__, "peerscope."):
        if "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", []):
            assert not name.startswith("_"), (info.name, name)
            assert hasattr(module, name), (info.name, name)
