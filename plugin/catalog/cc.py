"""`microcred export cc`: a thin IMS Common Cartridge 1.3 with one LTI link per module.

Layout (docs: ../shared/reference/authoring.md, 5.3 and 5.4): `imsmanifest.xml` with one
organization item per module pointing at an `imsbasiclti_xmlv1p3` resource, and one
`lti/res_NN.xml` link file per module carrying the launch URL, the custom parameters
`course_id`, `module_id`, `course_version`, and Canvas's `outcome` (points) for graded modules.
The bytes depend only on the course and the URL (sorted entries, fixed zip dates).
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlencode, urlsplit

from authoring.package import write_zip

CP = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
LTICC = "http://www.imsglobal.org/xsd/imslticc_v1p3"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"

MANIFEST_SCHEMAS = (
    f"{CP} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
    f"{LOM} http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd"
)
LINK_SCHEMAS = (
    f"{LTICC} http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd "
    f"{BLTI} http://www.imsglobal.org/xsd/lti/ltiv1p0/imsbasiclti_v1p0p1.xsd "
    f"{LTICM} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticm_v1p0.xsd "
    f"{LTICP} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticp_v1p0.xsd"
)
_ns_lock = threading.Lock()


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _text(parent: ET.Element, tag: str, text: str, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    el.text = text
    return el


def _xml(root: ET.Element, default: str, prefixes: dict[str, str]) -> bytes:
    ET.indent(root, space="  ")
    with _ns_lock:
        # ElementTree names namespaces from one process-wide table; set it for this document.
        ET.register_namespace("", default)
        for prefix, uri in prefixes.items():
            ET.register_namespace(prefix, uri)
        body = ET.tostring(root, encoding="unicode")
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n').encode()


def _points(value: Any) -> str:
    number = float(value or 0)
    return str(int(number)) if number.is_integer() else str(number)


def module_launch_url(public_url: str, course_id: str, module_id: str) -> str:
    base = public_url.rstrip("/")
    query = urlencode({"target": "module", "course": course_id, "module": module_id})
    return f"{base}/lti/launch?{query}"


def link_xml(course: dict[str, Any], module: dict[str, Any], public_url: str) -> bytes:
    """One `cartridge_basiclti_link` file for a module."""
    course_id, module_id = str(course["id"]), str(module["id"])
    root = ET.Element(
        _q(LTICC, "cartridge_basiclti_link"), {_q(XSI, "schemaLocation"): LINK_SCHEMAS}
    )
    _text(root, _q(BLTI, "title"), str(module["title"]))
    objectives = " ".join(str(o) for o in module.get("objectives") or [])
    _text(
        root,
        _q(BLTI, "description"),
        f"{module['title']}, a module of {course['title']}. {objectives}".strip(),
    )
    custom = ET.SubElement(root, _q(BLTI, "custom"))
    for name, value in (
        ("course_id", course_id),
        ("module_id", module_id),
        ("course_version", str(course["version"])),
    ):
        _text(custom, _q(LTICM, "property"), value, name=name)
    url = module_launch_url(public_url, course_id, module_id)
    _text(root, _q(BLTI, "launch_url"), url)
    if url.startswith("https://"):
        _text(root, _q(BLTI, "secure_launch_url"), url)
    ext = ET.SubElement(root, _q(BLTI, "extensions"), {"platform": "canvas.instructure.com"})
    _text(ext, _q(LTICM, "property"), urlsplit(public_url).netloc, name="domain")
    _text(ext, _q(LTICM, "property"), "public", name="privacy_level")
    per_module = str((course.get("grading") or {}).get("passback") or "per-module")
    if module.get("graded") and float(module.get("points") or 0) > 0 and per_module == "per-module":
        _text(ext, _q(LTICM, "property"), _points(module["points"]), name="outcome")
    vendor = ET.SubElement(root, _q(BLTI, "vendor"))
    _text(vendor, _q(LTICP, "code"), "microcred")
    _text(vendor, _q(LTICP, "name"), "microcred")
    return _xml(root, LTICC, {"blti": BLTI, "lticm": LTICM, "lticp": LTICP, "xsi": XSI})


def manifest_xml(course: dict[str, Any]) -> bytes:
    """`imsmanifest.xml`: metadata, one organization item per module, one resource each."""
    ident = f"mc-{course['id']}-{course['version']}"
    root = ET.Element(
        _q(CP, "manifest"), {"identifier": ident, _q(XSI, "schemaLocation"): MANIFEST_SCHEMAS}
    )
    metadata = ET.SubElement(root, _q(CP, "metadata"))
    _text(metadata, _q(CP, "schema"), "IMS Thin Common Cartridge")
    _text(metadata, _q(CP, "schemaversion"), "1.3.0")
    lom = ET.SubElement(metadata, _q(LOM, "lom"))
    general = ET.SubElement(lom, _q(LOM, "general"))
    title = ET.SubElement(general, _q(LOM, "title"))
    _text(
        title, _q(LOM, "string"), str(course["title"]), language=str(course.get("language") or "en")
    )
    if course.get("summary"):
        description = ET.SubElement(general, _q(LOM, "description"))
        _text(
            description,
            _q(LOM, "string"),
            str(course["summary"]),
            language=str(course.get("language") or "en"),
        )
    orgs = ET.SubElement(root, _q(CP, "organizations"))
    org = ET.SubElement(
        orgs, _q(CP, "organization"), {"identifier": "org_1", "structure": "rooted-hierarchy"}
    )
    top = ET.SubElement(org, _q(CP, "item"), {"identifier": "root"})
    resources = ET.SubElement(root, _q(CP, "resources"))
    for n, module in enumerate(course.get("modules") or [], start=1):
        group = ET.SubElement(top, _q(CP, "item"), {"identifier": f"mod_{n:02d}"})
        _text(group, _q(CP, "title"), f"Module {n}: {module['title']}")
        leaf = ET.SubElement(
            group, _q(CP, "item"), {"identifier": f"it_{n:02d}", "identifierref": f"res_{n:02d}"}
        )
        _text(leaf, _q(CP, "title"), str(module["title"]))
        res = ET.SubElement(
            resources,
            _q(CP, "resource"),
            {"identifier": f"res_{n:02d}", "type": "imsbasiclti_xmlv1p3"},
        )
        ET.SubElement(res, _q(CP, "file"), {"href": f"lti/res_{n:02d}.xml"})
    return _xml(root, CP, {"lomimscc": LOM, "xsi": XSI})


def thin_cartridge(course: dict[str, Any], public_url: str) -> bytes:
    """The .imscc bytes for a course (course.json) whose tool answers at `public_url`."""
    entries = {"imsmanifest.xml": manifest_xml(course)}
    for n, module in enumerate(course.get("modules") or [], start=1):
        entries[f"lti/res_{n:02d}.xml"] = link_xml(course, module, public_url)
    return write_zip(entries)
