"""peerscope's allocator settings (peerscope.memory), in fresh interpreters."""

import os
import subprocess
import sys

from peerscope.memory import POOL_VARIABLE, preferred_backend


def _backend(code: str, **env) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in (POOL_VARIABLE,)}
    environment.update(env)
    done = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True,
                          text=True, check=True)
    return done.stdout.strip()


def test_importing_peerscope_first_moves_all_of_arrow_to_the_preferred_pool():
    code = ("import peerscope, os, pyarrow as pa; "
            f"print(pa.default_memory_pool().backend_name, os.environ['{POOL_VARIABLE}'])")
    assert _backend(code) == f"{preferred_backend()} {preferred_backend()}"


def test_a_pool_the_user_chose_is_kept():
    code = "import peerscope, pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    assert _backend(code, **{POOL_VARIABLE: "system"}) == "system"


def test_after_pyarrow_only_the_python_level_pool_moves():
    code = ("import pyarrow as pa; before = pa.default_memory_pool().backend_name; "
            "import peerscope; print(before, pa.default_memory_pool().backend_name)")
    before, after = _backend(code).split()
    assert after == preferred_backend()
