"""Shared fixtures.

Real-data tests use the ``shared_data`` fixture: the folder of real community
data beside the project (``../shared/data``), or ``$PEERSCOPE_SHARED_DATA``.
CI sets that variable, and there a missing folder fails the test; on a user's
machine without the data the test is skipped with the reason printed.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]


def _shared_data_path() -> Path:
    configured = os.environ.get("PEERSCOPE_SHARED_DATA")
    return Path(configured) if configured else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; fails in CI when missing, skips elsewhere."""
    path = _shared_data_path()
    if path.is_dir():
        return path
    reason = f"real data not found at {path} (set PEERSCOPE_SHARED_DATA or place ../shared/data)"
    if os.environ.get("PEERSCOPE_SHARED_DATA") or os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def utc(*stamps: str) -> pd.Series:
    """Times as a tz-aware UTC series (a helper for building small frames)."""
    return pd.Series(pd.to_datetime(list(stamps), utc=True)).astype("datetime64[us, UTC]")


@pytest.fixture
def tiny_frames():
    """A hand-made forum of 6 posts in 2 threads, 4 members (1 lurker, 1 bot)."""
    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4", "p5", "p6"],
        "thread_id": ["p1", "p1", "p1", "p4", "p4", "p4"],
        "parent_id": [None, "p1", "p2", None, "p4", "p4"],
        "author_id": ["ann", "bob", "ann", "bob", "ann", "welcome-bot"],
        "created_at": utc("2024-01-01 20:00", "2024-01-01 21:30", "2024-01-02 08:00",
                          "2024-02-01 19:00", "2024-02-02 22:15", "2024-02-01 19:01"),
        "text": ["Cannot sleep again", "Same here, you're not alone", "Thanks, it helps",
                 "My GP changed my meds", "Have you tried a diary?", None],
        "channel": ["sleep", "sleep", "sleep", "medication", "medication", "medication"],
        "score": pd.array([3, None, 1, 0, 2, 0], dtype="Int64"),
    })
    members = pd.DataFrame({
        "member_id": ["ann", "bob", "cat", "welcome-bot"],
        "joined_at": utc("2023-12-31 10:00", "2024-01-01 09:00", "2024-01-15 12:00",
                         "2023-01-01 00:00"),
        "role": ["member", "moderator", "member", "bot"],
    })
    events = pd.DataFrame({
        "member_id": ["cat", "cat", "ann"],
        "at": utc("2024-01-16 10:00", "2024-02-01 10:00", "2024-01-20 18:00"),
        "kind": ["view", "receive", "attend"],
        "form": ["online", "newsletter", "group"],
    })
    return posts, members, events


@pytest.fixture(scope="module")
def client():
    """A Dask ``distributed`` client on a 2-worker ``LocalCluster`` of worker
    processes (one thread each), closed after the test module; skips when
    ``distributed`` is not installed."""
    distributed = pytest.importorskip("distributed")
    from peerscope._kernels import scheduler

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()
    scheduler.reset()
