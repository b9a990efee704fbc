"""Arrow's memory pool is chosen on request only (peerscope._kernels.memory), in fresh interpreters."""

import os
import subprocess
import sys

import pytest

from peerscope import PeerscopeError, set_memory_pool
from peerscope._kernels.memory import POOL_VARIABLE


def _run(code: str, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if k != POOL_VARIABLE}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_importing_peerscope_leaves_arrow_and_the_environment_alone():
    code = ("import os, pyarrow as pa; before = pa.default_memory_pool().backend_name; "
            "environ = dict(os.environ); import peerscope, peerscope.participation, peerscope.reciprocity; "
            "print(before == pa.default_memory_pool().backend_name, environ == dict(os.environ))")
    assert _run(code) == "True True"


def test_set_memory_pool_before_pyarrow_moves_all_of_arrow():
    code = ("import peerscope; peerscope.set_memory_pool('system'); import os, pyarrow as pa; "
            f"print(pa.default_memory_pool().backend_name, os.environ['{POOL_VARIABLE}'])")
    assert _run(code) == "system system"


def test_set_memory_pool_after_pyarrow_moves_the_python_level_pool():
    code = ("import pyarrow as pa; import peerscope; peerscope.set_memory_pool('system'); "
            "print(pa.default_memory_pool().backend_name)")
    assert _run(code) == "system"


def test_a_pool_the_user_chose_is_kept_unless_overridden():
    code = "from peerscope import set_memory_pool; print(set_memory_pool('system', override=False))"
    assert _run(code, **{POOL_VARIABLE: "mimalloc"}) == "mimalloc"


def test_the_command_line_asks_for_the_system_allocator():
    code = ("import sys; from unittest import mock; import peerscope.cli as c; "
            "import peerscope.cli.commands as m; "
            "m.main = lambda: print(__import__('os').environ['ARROW_DEFAULT_MEMORY_POOL']); c.main()")
    assert _run(code) == "system"


def test_an_unknown_pool_is_refused():
    with pytest.raises(PeerscopeError, match="not one of"):
        set_memory_pool("tcmalloc")
