"""Fixtures for the credentials core: an issuer with a did:web key, its published documents,
status lists, a credential factory, the 1EdTech test vector, and a network that refuses."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from plugin.credentials import keys, ob3, proof, statuslist
from plugin.credentials.resolve import KeyResolver

FIXTURES = Path(__file__).parent / "fixtures"
PUBLIC_URL = "https://badges.example.edu"
LIST_URL = f"{PUBLIC_URL}/credentials/status/1"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Core tests run with outbound connections and DNS failing: nothing may need them.

    Feature tests (those using the ``app`` or ``dev_lms`` fixtures) talk to real PostgreSQL,
    Redis and live servers on loopback, so they keep the network.
    """
    if {"app", "dev_lms", "dev_lms_storage"} & set(request.fixturenames):
        return

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError("network access is disabled in the credentials tests")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.fixture
def now() -> datetime:
    """A fixed "now" for every check involving time."""
    return NOW


@dataclass
class Issuer:
    """An institution that issues: its did:web, key, profile, published documents, lists."""

    did: str
    key: keys.SigningKey
    profile: dict[str, Any]
    documents: dict[str, Any] = field(default_factory=dict)
    bits: bytearray = field(default_factory=statuslist.new_bitstring)
    used: set[int] = field(default_factory=set)
    unreachable: set[str] = field(default_factory=set)

    def publish(self) -> None:
        """Serve the DID document and a freshly signed status list."""
        self.documents[keys.did_web_document_url(self.did)] = keys.did_document(
            self.did, [self.key]
        )
        listing = statuslist.status_list_credential(
            LIST_URL, self.did, statuslist.encode_list(self.bits), NOW - timedelta(days=30)
        )
        self.documents[LIST_URL] = proof.sign(listing, self.key, created=NOW - timedelta(hours=1))

    def fetch(self, url: str) -> Any:
        """The fetcher a web app would pass (here over the published documents)."""
        if url in self.unreachable or url not in self.documents:
            raise ConnectionError(f"cannot reach {url}")
        return self.documents[url]

    def revoke(self, credential: dict[str, Any]) -> None:
        """Set the credential's bit and republish the list."""
        statuslist.set_bit(self.bits, int(credential["credentialStatus"]["statusListIndex"]))
        self.publish()


@pytest.fixture
def issuer() -> Issuer:
    """A did:web issuer with one key and its documents published."""
    did = keys.did_web_from_url(PUBLIC_URL)
    key = keys.generate_signing_key(did)
    profile = ob3.issuer_profile(
        issuer_id=did, name="Example University", url=PUBLIC_URL, email="badges@example.edu"
    )
    made = Issuer(did, key, profile)
    made.publish()
    return made


@pytest.fixture
def resolver(issuer: Issuer) -> KeyResolver:
    """A key resolver that reaches the issuer's documents through the fetcher."""
    return KeyResolver(issuer.fetch)


def make_achievement(achievement_id: str = f"{PUBLIC_URL}/achievements/data-101") -> dict[str, Any]:
    """A micro-credential achievement with every field the tool fills in."""
    return ob3.achievement(
        achievement_id=achievement_id,
        name="Tidy Data 101",
        description="Structures tables so that each row is one observation.",
        criteria_narrative="Score at least 70% on the module quizzes.",
        achievement_type="MicroCredential",
        image=ob3.image(f"{achievement_id}/badge.svg", caption="Tidy Data 101 badge"),
        credits_available=1.0,
        alignments=[
            ob3.alignment(
                target_name="Data literacy",
                target_url="https://frameworks.example.org/data-literacy",
                target_framework="Example Data Framework",
                target_code="DL.1",
                target_type="CFItem",
            )
        ],
        result_descriptions=[
            ob3.result_description(
                result_description_id=f"{achievement_id}#score",
                name="Final score",
                required_value=70,
            )
        ],
        human_code="DATA101",
        field_of_study="Data science",
        tags=["data", "spreadsheets"],
        in_language="en",
        version="1.0.0",
    )


CredentialFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def make_credential(issuer: Issuer) -> CredentialFactory:
    """Build (unsigned) an OpenBadgeCredential for a learner, with a status list entry."""

    def build(**overrides: Any) -> dict[str, Any]:
        achievement = overrides.pop("achievement", None) or make_achievement()
        index = statuslist.allocate_index(issuer.used)
        issuer.used.add(index)
        options: dict[str, Any] = dict(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
            issuer=issuer.profile,
            achievement=achievement,
            valid_from=NOW - timedelta(days=1),
            valid_until=NOW + timedelta(days=365),
            identifiers=[
                ob3.identity_object("emailAddress", "ada@example.edu"),
                ob3.identity_object("ltiUserId", "lms-user-42"),
            ],
            results=[ob3.result(result_description_id=achievement["id"] + "#score", value=92)],
            credits_earned=1.0,
            evidence=[
                ob3.evidence(
                    evidence_id=f"{PUBLIC_URL}/attempts/{index}",
                    name="Module quiz",
                    description="Graded attempt",
                    narrative="Scored 92%.",
                )
            ],
            status_entry=statuslist.status_entry(LIST_URL, index),
            awarded_date=NOW - timedelta(days=1),
        )
        options.update(overrides)
        return ob3.open_badge_credential(**options)

    return build


@pytest.fixture
def signed(issuer: Issuer, make_credential: CredentialFactory) -> dict[str, Any]:
    """One signed OpenBadgeCredential by the issuer."""
    return proof.sign(make_credential(), issuer.key, created=NOW - timedelta(days=1))


@pytest.fixture
def testvector() -> dict[str, Any]:
    """The 1EdTech OB 3.0 linked-data-proof test vector (proof as an object, as published)."""
    return json.loads((FIXTURES / "1edtech-ob3-testvector.json").read_text("utf-8"))


@pytest.fixture
def testvector_documents() -> dict[str, Any]:
    """The key documents a resolver gets for the test vector's https verification method."""
    return json.loads((FIXTURES / "1edtech-ob3-testvector-keys.json").read_text("utf-8"))
