"""The store's batched calls, which the launch path uses to save round trips: the same answers
as one call at a time, on SQLite and (when configured) Redis."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plugin.store import Claim, make_store

BACKENDS = ["sqlite"] + (["redis"] if os.environ.get("MICROCRED_TEST_REDIS_URL") else [])


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    redis_url = os.environ["MICROCRED_TEST_REDIS_URL"] if request.param == "redis" else None
    yield make_store(redis_url, str(tmp_path), namespace=f"test{secrets.token_hex(4)}")


def test_get_many_answers_like_get(store: Any) -> None:
    store.set("a", "1", 60)
    store.set("c", "3", 60)
    assert store.get_many(["a", "b", "c"]) == ["1", None, "3"]
    assert store.get_many([]) == []


def test_set_and_get_sees_its_own_write(store: Any) -> None:
    store.set("generation", "g7", 60)
    assert store.set_and_get("state", "record", 60, "generation") == "g7"
    assert store.get("state") == "record"
    assert store.set_and_get("other", "x", 60, "missing") is None


def test_take_and_get_is_single_use_and_reports_time_left(store: Any) -> None:
    store.set("state", "record", 60)
    store.set("generation", "g1", 60)
    value, left, generation, holder = store.take_and_get("state", "generation")
    assert (value, generation, holder) == ("record", "g1", None) and 50 < left <= 60
    assert store.get("state") is None
    assert store.take_and_get("state", "generation") == (None, 0.0, "g1", None)


def test_take_and_get_ignores_an_expired_value(store: Any) -> None:
    store.set("state", "record", 1)
    time.sleep(1.2)
    value, left, _, _ = store.take_and_get("state", "generation")
    assert value is None and left == 0.0


def test_a_claim_is_held_by_its_first_owner_only(store: Any) -> None:
    assert store.claim("nonce", "state-1", 60) == "state-1"
    assert store.claim("nonce", "state-1", 60) == "state-1"  # the owner may check again
    assert store.claim("nonce", "state-2", 60) == "state-1"  # anyone else finds it taken


def test_take_and_get_claims_in_the_same_call(store: Any) -> None:
    store.set("state", "record", 60)
    taken = store.take_and_get("state", "generation", Claim("nonce", "state-1", 60))
    assert (taken.value, taken.other, taken.claim_holder) == ("record", None, "state-1")
    again = store.take_and_get("state", "generation", Claim("nonce", "state-2", 60))
    assert (again.value, again.claim_holder) == (None, "state-1")


def test_set_and_incr_writes_and_counts(store: Any) -> None:
    assert store.set_and_incr("a", "1", 60, "hits", 600) == 1
    assert store.set_and_incr("b", "2", 60, "hits", 600) == 2
    assert store.get_many(["a", "b", "hits"]) == ["1", "2", "2"]
