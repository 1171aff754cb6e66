"""Offline JSON-LD: the bundled contexts, a loader that refuses the network, and fast RDFC-1.0.

Every context a credential may use is a file in ``contexts/``; any other URL is refused, so
signing and verifying never depend on a remote server (see ../shared/reference/credentials.md §5).

Speed: pyld caches *resolved* contexts, but re-processes type- and property-scoped contexts
(which Open Badges uses on every class) for each document, because each application clones the
active context under a fresh id. ``_FastProcessor`` memoises ``_process_context`` on (active
context id, local context) for frozen (immutable) active contexts, which makes canonicalization
about five times faster without changing its output (tests compare against plain pyld).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from frozendict import frozendict
from pyld import jsonld as pyld
from pyld.canon import URDNA2015

logger = logging.getLogger(__name__)

CONTEXTS_DIR = Path(__file__).parent / "contexts"

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
DATA_INTEGRITY_V1 = "https://w3id.org/security/data-integrity/v1"
OB_V3P0_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
OB_V3P0 = "https://purl.imsglobal.org/spec/ob/v3p0/context.json"
CLR_V2P0_201 = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
#: 1EdTech's extension terms (credentialSchema / status / refresh types), as Credly issues them.
OB_EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"

#: Context URL -> bundled file name (the only URLs the loader serves).
CONTEXT_FILES: Mapping[str, str] = {
    VC_V2: "credentials-v2.jsonld",
    VC_V1: "2018-credentials-v1.jsonld",
    DATA_INTEGRITY_V1: "data-integrity-v1.jsonld",
    OB_V3P0_303: "ob-v3p0-3.0.3.json",
    OB_V3P0: "ob-v3p0.json",
    CLR_V2P0_201: "clr-v2p0-2.0.1.json",
    OB_EXTENSIONS: "ob-v3p0-extensions.json",
}


class ContextNotBundledError(LookupError):
    """A document asked for a JSON-LD context that is not bundled (the network is never used)."""

    def __init__(self, url: str) -> None:
        super().__init__(f"JSON-LD context {url!r} is not bundled; remote contexts are refused")
        self.url = url


class CanonicalizationError(ValueError):
    """The document cannot be canonicalized (bad JSON-LD, an unbundled context, a dropped term).

    ``unbundled_context`` names the refused context URL when that was the reason: such a
    document may be fine, we just cannot check it offline.
    """

    def __init__(self, message: str, *, unbundled_context: str | None = None) -> None:
        super().__init__(message)
        self.unbundled_context = unbundled_context


@cache
def _context_document(url: str) -> dict[str, Any]:
    with (CONTEXTS_DIR / CONTEXT_FILES[url]).open(encoding="utf-8") as handle:
        return json.load(handle)


def load_context(url: str) -> dict[str, Any]:
    """Return a fresh copy of the bundled context document for ``url``; refuse any other URL."""
    if url not in CONTEXT_FILES:
        raise ContextNotBundledError(url)
    return copy.deepcopy(_context_document(url))


def document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader: serve bundled contexts by URL, refuse everything else."""
    if url not in CONTEXT_FILES:
        logger.info("refused to load JSON-LD document %s (not bundled)", url)
        raise ContextNotBundledError(url)
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        # pyld rewrites relative URLs inside a context in place, so hand out a copy.
        "document": copy.deepcopy(_context_document(url)),
        # "static" lets pyld keep the resolved context in its shared, process-wide cache.
        "tag": "static",
    }


class _NoCopyDocument(dict):
    """The top of a document that pyld's ``expand`` would otherwise deep-copy.

    Expansion only reads its input (tests check that canonicalizing leaves documents untouched),
    so the copy is wasted work.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> _NoCopyDocument:
        return self


class _UnsafeError(Exception):
    """Safe mode: the document says something that would not be signed as written."""


def _raise_on_dropped(term: str | None) -> None:
    raise _UnsafeError(f"property {term!r} is not defined by any context")


# pyld's own test for an absolute IRI (or blank node id), compiled once.
_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$").match


def _check_absolute(graph: Mapping[str, Any]) -> None:
    """Raise where pyld would silently drop a relative IRI (jsonld.js safe mode refuses them)."""
    for subject, node in graph.items():
        if not _ABSOLUTE_IRI(subject):
            raise _UnsafeError(f"id {subject!r} is not an absolute IRI")
        for name, items in node.items():
            if name == "@type":
                for kind in items:
                    if not _ABSOLUTE_IRI(kind):
                        raise _UnsafeError(f"type {kind!r} is not defined by any context")
            elif not name.startswith("@"):
                if not _ABSOLUTE_IRI(name):
                    raise _UnsafeError(f"property {name!r} is not an absolute IRI")
                for item in items:
                    _check_object(item)


def _check_object(item: Any) -> None:
    if not isinstance(item, Mapping):
        return
    if "@id" in item and not _ABSOLUTE_IRI(item["@id"]):
        raise _UnsafeError(f"reference {item['@id']!r} is not an absolute IRI")
    if "@value" in item:
        datatype = item.get("@type")
        if datatype is not None and datatype != "@json" and not _ABSOLUTE_IRI(datatype):
            raise _UnsafeError(f"datatype {datatype!r} is not an absolute IRI")
    for element in item.get("@list", ()):
        _check_object(element)


_MEMO: LRUCache[tuple[Any, ...], tuple[Any, ...]] = LRUCache(maxsize=2048)
_MEMO_LOCK = threading.Lock()
# Plain dict: single get/set operations are atomic under the GIL, and a clear() only costs hits.
_IRI_MEMO: dict[tuple[Any, ...], Any] = {}
_IRI_MEMO_MAX = 50_000


def _context_key(local_ctx: Any) -> tuple[Any, list[Any]] | None:
    """A hashable key for a local context; dicts by identity (kept alive by the memo entry)."""
    if isinstance(local_ctx, str):
        return local_ctx, []
    if isinstance(local_ctx, dict | frozendict):
        return ("#", id(local_ctx)), [local_ctx]
    if isinstance(local_ctx, list):
        parts: list[Any] = []
        refs: list[Any] = []
        for item in local_ctx:
            if isinstance(item, str):
                parts.append(item)
            elif isinstance(item, dict | frozendict):
                parts.append(("#", id(item)))
                refs.append(item)
            else:
                return None
        return tuple(parts), refs
    return None


class _FastProcessor(pyld.JsonLdProcessor):
    """pyld's processor with processed contexts memoised across documents (see module doc).

    In ``safe`` mode it refuses what jsonld.js's safe mode refuses and pyld drops silently.
    """

    def __init__(self, *, safe: bool) -> None:
        super().__init__(on_property_dropped=_raise_on_dropped if safe else pyld.noop)
        self._safe = safe

    def _graph_to_rdf(self, graph: Any, issuer: Any, options: Any) -> Any:
        if not self._safe:
            return super()._graph_to_rdf(graph, issuer, options)
        # pyld's loop, minus its per-triple "is this IRI absolute?" regexes: in safe mode every
        # subject, predicate and reference was checked once, and a relative one refused.
        _check_absolute(graph)
        generalized = options["produceGeneralizedRdf"]
        to_object = self._object_to_rdf
        triples: list[dict[str, Any]] = []
        for subject_id, node in sorted(graph.items()):
            kind = "blank node" if subject_id.startswith("_:") else "IRI"
            subject = {"type": kind, "value": subject_id}
            for name, items in sorted(node.items()):
                if name == "@type":
                    name = pyld.RDF_TYPE
                elif name.startswith("@"):
                    continue
                if name.startswith("_:"):
                    if not generalized:
                        continue
                    predicate = {"type": "blank node", "value": name}
                else:
                    predicate = {"type": "IRI", "value": name}
                for item in items:
                    rdf_object = to_object(item, issuer, triples, options)
                    if rdf_object is not None:
                        triples.append(
                            {"subject": subject, "predicate": predicate, "object": rdf_object}
                        )
        return triples

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: set[str] | None = None,
    ) -> Any:
        uid = active_ctx.get("_uuid") if isinstance(active_ctx, frozendict) else None
        keyed = _context_key(local_ctx) if uid else None
        if keyed is None:
            return super()._process_context(
                active_ctx,
                local_ctx,
                options,
                override_protected,
                propagate,
                validate_scoped,
                cycles,
            )
        ctx_key, refs = keyed
        key = (
            uid,
            ctx_key,
            override_protected,
            propagate,
            validate_scoped,
            options.get("base"),
            options.get("processingMode"),
        )
        with _MEMO_LOCK:
            hit = _MEMO.get(key)
        if hit is not None:
            return hit[0]
        result = super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )
        if isinstance(result, frozendict):  # only final, immutable contexts are shared
            with _MEMO_LOCK:
                _MEMO[key] = (result, refs, active_ctx)
        return result

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: Any = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # Terms and types (vocab=True) of a frozen context: a pure function of a small key set.
        if vocab and local_ctx is None and isinstance(active_ctx, frozendict):
            key = (active_ctx.get("_uuid"), value, base)
            try:
                return _IRI_MEMO[key]
            except KeyError:
                pass
            except TypeError:  # an unhashable value: let pyld report it
                return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
            result = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
            if len(_IRI_MEMO) > _IRI_MEMO_MAX:
                _IRI_MEMO.clear()
            _IRI_MEMO[key] = result
            return result
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)


#: Hash N-Degree Quads calls allowed per document: crafted blank-node graphs ("poison graphs")
#: can make RDFC-1.0 run for hours; real credentials need a handful.
MAX_N_DEGREE_CALLS = 5_000


class _Canonicalizer(URDNA2015):
    """pyld's RDFC-1.0 with a work limit, and without a deep copy per blank-node quad."""

    def __init__(self) -> None:
        super().__init__()
        self._budget = MAX_N_DEGREE_CALLS

    def modify_first_degree_component(self, id_: str, component: Any, key: str) -> Any:
        if component["type"] != "blank node":
            return component
        return {**component, "value": "_:a" if component["value"] == id_ else "_:z"}

    def hash_n_degree_quads(self, id_: str, issuer: Any) -> Any:
        self._budget -= 1
        if self._budget < 0:
            raise _UnsafeError("the blank nodes are too entangled to canonicalize (work limit)")
        return super().hash_n_degree_quads(id_, issuer)


def _find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The first exception of ``kind`` in the chain of causes of ``exc`` (pyld wraps errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


def _integral_numbers(value: Any) -> Any:
    """Floats with no fractional part as ints, as JSON-LD 1.1 (and jsonld.js) treat them.

    JSON has one number type: ``3.0`` and ``3`` are the same value and must canonicalize to
    ``"3"``. pyld would write ``"3.0E0"`` for a Python float, so a credential signed by a
    JavaScript issuer with ``"creditsEarned": 3.0`` would not verify. Containers are copied
    only where something changes.
    """
    kind = type(value)
    if kind is str:
        return value
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < 1e21 else value
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        changed: dict[str, Any] | None = None
        for name, item in value.items():
            new = _integral_numbers(item)
            if new is not item:
                changed = changed if changed is not None else dict(value)
                changed[name] = new
        return changed if changed is not None else value
    if kind is list:
        items = [_integral_numbers(item) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def canonize(doc: Mapping[str, Any], *, safe: bool = True) -> str:
    """Canonicalize a JSON-LD document with RDFC-1.0 (URDNA2015) into sorted N-Quads.

    With ``safe`` (the default, as in Digital Bazaar's libraries) a property that the contexts
    do not define raises instead of being silently dropped, since a dropped term is unsigned.
    Raises ``CanonicalizationError`` on any failure; the input is never modified.
    """
    if not isinstance(doc, Mapping):
        raise CanonicalizationError("a JSON-LD document must be a JSON object")
    processor = _FastProcessor(safe=safe)
    options = {
        "documentLoader": document_loader,
        "produceGeneralizedRdf": False,
        # As Digital Bazaar's eddsa-rdfc-2022: no base IRI (pyld's "" would resolve relative
        # IRIs against http://example.org/base/), and i18n datatypes for @direction.
        "base": None,
        "rdfDirection": "i18n-datatype",
    }
    try:
        dataset = processor.to_rdf(_NoCopyDocument(_integral_numbers(doc)), options)
        return _Canonicalizer().main(dataset, {"format": "application/n-quads"})
    except RecursionError as exc:
        raise CanonicalizationError("document is nested too deeply") from exc
    except Exception as exc:  # pyld raises JsonLdError, but also TypeError etc. on odd input
        unsafe = _find_cause(exc, _UnsafeError)
        if unsafe is not None:
            raise CanonicalizationError(str(unsafe)) from exc
        refused = _find_cause(exc, ContextNotBundledError)
        if isinstance(refused, ContextNotBundledError):
            raise CanonicalizationError(
                f"uses the JSON-LD context {refused.url} which is not bundled"
                " (remote contexts are refused)",
                unbundled_context=refused.url,
            ) from exc
        raise CanonicalizationError(f"invalid JSON-LD: {_describe(exc)}") from exc


def _describe(exc: BaseException) -> str:
    """The innermost message in a chain of pyld errors (the outer ones only say "could not")."""
    message = ""
    current: BaseException | None = exc
    for _ in range(8):
        if current is None:
            break
        text = getattr(current, "message", None) or (current.args[0] if current.args else "")
        message = str(text).split("\n")[0] or message or type(current).__name__
        current = current.__cause__
    return message


def xsd_datetime(value: datetime) -> str:
    """Format an aware datetime as an XSD dateTimeStamp in UTC, to the second: ``...T...Z``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("credential times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_xsd_datetime(value: object) -> datetime | None:
    """Parse an XSD dateTime (``Z`` or an offset; naive means UTC); None if it is not one."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
