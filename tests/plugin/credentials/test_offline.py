"""Nothing in signing or verifying touches the network; the test verifier shares no code."""

from __future__ import annotations

import ast
import socket
from pathlib import Path
from typing import Any

import pytest

from plugin.credentials import proof
from plugin.credentials.resolve import KeyResolver, static_fetcher
from plugin.credentials.verify import verify_credential

from .conftest import NOW


def test_the_network_really_is_off_in_these_tests() -> None:
    with pytest.raises(OSError):
        socket.create_connection(("www.w3.org", 443), timeout=1)
    with pytest.raises(OSError):
        socket.getaddrinfo("purl.imsglobal.org", 443)


def test_sign_and_verify_everything_offline(
    make_credential: Any, issuer: Any, testvector: dict[str, Any], testvector_documents: Any
) -> None:
    signed = proof.sign(make_credential(), issuer.key, created=NOW)
    verdict = verify_credential(
        signed, resolve_key=KeyResolver(issuer.fetch), fetch_status_list=issuer.fetch, now=NOW
    )
    assert verdict.ok, verdict.as_dict()
    vector = verify_credential(
        testvector,
        resolve_key=KeyResolver(static_fetcher(testvector_documents)),
        now=NOW,
        schema=False,
    )
    assert vector.ok


def test_the_independent_verifier_never_imports_the_issuing_code() -> None:
    source = Path(__file__).with_name("independent_verifier.py").read_text("utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert not [name for name in imported if name.startswith("plugin")]
    assert "../shared" not in source and "shared/data" not in source
