"""Bundled contexts, the offline loader and canonicalization (checked against plain pyld)."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest
from pyld import jsonld as pyld

from plugin.credentials import clr, jsonld, proof, statuslist

from . import independent_verifier
from .conftest import NOW


def test_every_bundled_context_loads_by_url_and_others_are_refused() -> None:
    for url in jsonld.CONTEXT_FILES:
        remote = jsonld.document_loader(url)
        assert remote["documentUrl"] == url
        assert "@context" in remote["document"]
    with pytest.raises(jsonld.ContextNotBundledError):
        jsonld.document_loader("https://w3id.org/security/suites/ed25519-2020/v1")


# A context that changes changes every signature made with it (w3c-ccg/vc-ed#49): pin them.
PINNED = {
    "2018-credentials-v1.jsonld": (
        "3d0b277522ed24385c850b9882b9688687189b8f37a9bd9f1577e348b1019c44"
    ),
    "clr-v2p0-2.0.1.json": "880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6",
    "credentials-v2.jsonld": "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    "data-integrity-v1.jsonld": (
        "c6e5073f4bd4bf6d08f245736e6f32c29b012860b18583644b2d71e1de862669"
    ),
    "ob-v3p0-3.0.3.json": "3d34f4d4ef1bce691106e63798beb5e7b862ba841423f5ee1e53ab7ddf3bca84",
    "ob-v3p0-extensions.json": "2d013f981d1f4516081a6a04e55468ba2b071d4153b794f19a79715c45a89a5e",
    "ob-v3p0.json": "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
}


def test_bundled_contexts_never_change() -> None:
    found = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in jsonld.CONTEXTS_DIR.iterdir()
        if path.is_file()
    }
    assert found == PINNED
    assert sorted(jsonld.CONTEXT_FILES.values()) == sorted(PINNED)


def _documents(signed: dict[str, Any], issuer: Any, testvector: dict[str, Any]) -> list[Any]:
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    wrapper = clr.clr_credential(
        credential_id="urn:uuid:clr-1",
        issuer=issuer.profile,
        valid_from=NOW,
        verifiable_credentials=[signed],
        identifiers=signed["credentialSubject"]["identifier"],
        achievements=[signed["credentialSubject"]["achievement"]],
    )
    listing = statuslist.status_list_credential(
        "https://x.edu/status/1",
        issuer.did,
        statuslist.encode_list(statuslist.new_bitstring()),
        NOW,
    )
    vector = {k: v for k, v in testvector.items() if k != "proof"}
    return [unsigned, signed, wrapper, listing, vector]


def test_canonize_matches_plain_pyld_and_leaves_documents_untouched(
    signed: dict[str, Any], issuer: Any, testvector: dict[str, Any]
) -> None:
    for doc in _documents(signed, issuer, testvector):
        before = copy.deepcopy(doc)
        ours = jsonld.canonize(doc)
        assert ours == independent_verifier.canonize(doc)
        assert jsonld.canonize(doc) == ours  # and again, from the caches
        assert doc == before


def test_canonical_form_is_sorted_nquads_with_canonical_blank_nodes(
    signed: dict[str, Any],
) -> None:
    lines = jsonld.canonize(signed).splitlines()
    assert lines == sorted(lines)
    assert all(line.endswith(" .") for line in lines)
    assert any("_:c14n0" in line for line in lines)


def test_a_property_no_context_defines_is_refused() -> None:
    doc = {"@context": [jsonld.VC_V1], "type": ["VerifiableCredential"], "nickname": "x"}
    with pytest.raises(jsonld.CanonicalizationError, match="'nickname' is not defined"):
        jsonld.canonize(doc)
    assert "nickname" not in jsonld.canonize(doc, safe=False)


def test_an_undefined_type_is_refused_instead_of_resolved_against_a_made_up_base() -> None:
    doc = {"@context": [jsonld.VC_V2], "id": "urn:x", "type": ["VerifiableCredential", "Gadget"]}
    with pytest.raises(jsonld.CanonicalizationError, match="type 'Gadget' is not defined"):
        jsonld.canonize(doc)
    # Plain pyld with its default base invents an IRI; jsonld.js would drop or refuse it.
    plain = pyld.normalize(
        doc,
        {
            "algorithm": "URDNA2015",
            "format": "application/n-quads",
            "documentLoader": jsonld.document_loader,
        },
    )
    assert "http://example.org/base/Gadget" in plain
    assert "Gadget" not in jsonld.canonize(doc, safe=False)


def test_a_relative_issuer_id_is_refused() -> None:
    doc = {
        "@context": [jsonld.VC_V2],
        "id": "urn:x",
        "type": ["VerifiableCredential"],
        "issuer": "issuers/1",
    }
    with pytest.raises(jsonld.CanonicalizationError, match="not an absolute IRI"):
        jsonld.canonize(doc)


def test_an_unbundled_context_is_named_and_never_fetched() -> None:
    doc = {"@context": [jsonld.VC_V2, "https://example.org/my-context.jsonld"], "id": "urn:x"}
    with pytest.raises(jsonld.CanonicalizationError) as raised:
        jsonld.canonize(doc)
    assert raised.value.unbundled_context == "https://example.org/my-context.jsonld"


def test_credly_style_extensions_context_is_bundled() -> None:
    doc = {
        "@context": [jsonld.VC_V2, jsonld.OB_V3P0_303, jsonld.OB_EXTENSIONS],
        "id": "urn:x",
        "type": ["VerifiableCredential"],
        "credentialSchema": [
            {"id": "https://s.example/schema.json", "type": "1EdTechJsonSchemaValidator2019"}
        ],
    }
    assert "vccs/v1p0/context.json#1EdTechJsonSchemaValidator2019" in jsonld.canonize(doc)


def test_whole_number_floats_canonicalize_as_json_ld_and_jsonld_js_do() -> None:
    # JSON has one number type: 1.0 and 1 must sign the same ("1"^^xsd:float), or a
    # credential issued in JavaScript with "creditsEarned": 1.0 would not verify here.
    def subject(value: object) -> dict[str, Any]:
        return {
            "@context": [jsonld.VC_V2, jsonld.OB_V3P0_303],
            "id": "urn:x",
            "type": ["AchievementSubject"],
            "creditsEarned": value,
        }

    assert jsonld.canonize(subject(1.0)) == jsonld.canonize(subject(1))
    # (the OB context spells the XSD namespace with https)
    assert '"1"^^<https://www.w3.org/2001/XMLSchema#float>' in jsonld.canonize(subject(1.0))
    assert '"2.5E0"^^<https://www.w3.org/2001/XMLSchema#float>' in jsonld.canonize(subject(2.5))


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"@context": {"@version": 2}},
        {"@context": 5},
        {"@context": [jsonld.VC_V2], "id": {"nested": "object"}},
    ],
)
def test_invalid_json_ld_raises_one_error_type(bad: Any) -> None:
    with pytest.raises(jsonld.CanonicalizationError):
        jsonld.canonize(bad)


def test_poison_graphs_hit_the_work_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonld, "MAX_N_DEGREE_CALLS", 3)
    # Eight blank nodes in a ring, all alike: only the N-degree hashing tells them apart.
    nodes = [{"@id": f"_:b{i}", "http://e.org/p": {"@id": f"_:b{(i + 1) % 8}"}} for i in range(8)]
    with pytest.raises(jsonld.CanonicalizationError, match="work limit"):
        jsonld.canonize({"@graph": nodes})


def test_xsd_datetimes() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    when = datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=timezone(timedelta(hours=2)))
    assert jsonld.xsd_datetime(when) == "2026-01-02T01:04:05Z"
    with pytest.raises(ValueError):
        jsonld.xsd_datetime(datetime(2026, 1, 2))  # naive on purpose
    assert jsonld.parse_xsd_datetime("2010-01-01T00:00:00Z") == datetime(2010, 1, 1, tzinfo=UTC)
    assert jsonld.parse_xsd_datetime("2010-01-01") is None
    assert jsonld.parse_xsd_datetime(12) is None


def test_signing_uses_the_same_canonical_form(signed: dict[str, Any]) -> None:
    unsecured = {k: v for k, v in signed.items() if k != "proof"}
    config = {k: v for k, v in signed["proof"][0].items() if k != "proofValue"}
    config["@context"] = signed["@context"]
    assert proof.hash_data(config, unsecured) == independent_verifier.hash_data(
        signed, signed["proof"][0]
    )
