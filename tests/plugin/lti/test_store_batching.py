"""The store's batches, which the launch path uses to save round trips: the same answers as one
call at a time, on SQLite and (when configured) Redis."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.store import Batch, make_store

BACKENDS = ["sqlite"] + (["redis"] if os.environ.get("MICROCRED_TEST_REDIS_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    redis_url = os.environ["MICROCRED_TEST_REDIS_URL"] if request.param == "redis" else None
    yield make_store(redis_url, str(tmp_path), namespace=f"test{secrets.token_hex(4)}")


def test_a_batch_answers_like_single_calls(store: Any) -> None:
    store.set("a", "1", 60)
    batch = Batch()
    a, b = batch.get("a"), batch.get("b")
    written = batch.set("c", "3", 60)
    seen = batch.get("c")  # the batch runs in order: a later get sees an earlier set
    store.run(batch)
    assert (a.value, b.value, written.value, seen.value) == ("1", None, None, "3")
    store.run(Batch())  # an empty batch is no round trip and no error


def test_a_claim_expires_with_its_ttl(store: Any) -> None:
    assert store.claim("state-used", "launch-1", 1) == "launch-1"
    time.sleep(1.2)
    batch = Batch()
    held = batch.claim("state-used", "launch-2", 60)
    store.run(batch)
    assert held.value == "launch-2"


def test_a_claim_is_held_by_its_first_owner_only(store: Any) -> None:
    assert store.claim("nonce", "state-1", 60) == "state-1"
    assert store.claim("nonce", "state-1", 60) == "state-1"  # the owner may check again
    assert store.claim("nonce", "state-2", 60) == "state-1"  # anyone else finds it taken
    batch = Batch()
    held = batch.claim("nonce", "state-3", 60)
    store.run(batch)
    assert held.value == "state-1"


def test_incr_in_a_batch_counts_with_everyone_else(store: Any) -> None:
    assert store.incr("hits", 600) == 1
    batch = Batch()
    batch.set("session", "ctx", 60)
    count = batch.incr("hits", 600)
    store.run(batch)
    assert count.value == 2 and store.get("session") == "ctx"
