"""`microcred publish` against a live tool over real HTTP, tokens, and `microcred export cc`."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

from tests.plugin.catalog.helpers import MEAN_MD, publish_bytes, tiny_package
from tests.servers import live_server

CP = "{http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1}"
BLTI = "{http://www.imsglobal.org/xsd/imsbasiclti_v1p0}"
LTICM = "{http://www.imsglobal.org/xsd/imslticm_v1p0}"


def test_publish_command_against_a_live_tool(
    app: Any, runner: Any, microcred: Any, tmp_path: Path
) -> None:
    created = runner.invoke(microcred, ["tokens", "create", "--name", "course CI"])
    assert created.exit_code == 0, created.output
    token = re.search(r"mcp_[A-Za-z0-9_-]{20,}", created.output)
    assert token, created.output
    package = tmp_path / "tiny.mcpkg"
    package.write_bytes(tiny_package(tmp_path))
    with live_server(app) as server:
        args = ["publish", str(package), "--url", server.url, "--token", token.group(0)]
        first = runner.invoke(microcred, args)
        assert first.exit_code == 0, first.output
        assert "published tiny-stats 1.0.0" in first.output
        again = runner.invoke(microcred, args)
        assert again.exit_code == 0 and "already published, unchanged" in again.output
        changed = tmp_path / "changed.mcpkg"
        changed.write_bytes(
            tiny_package(tmp_path, mean_md=MEAN_MD.replace("Add the values", "Sum the values"))
        )
        refused = runner.invoke(
            microcred, ["publish", str(changed), "--url", server.url, "--token", token.group(0)]
        )
        assert refused.exit_code != 0
        assert "P003" in refused.output
        bad = runner.invoke(
            microcred,
            ["publish", str(package), "--url", server.url, "--token", "mcp_not-a-real-token"],
        )
        assert bad.exit_code != 0 and "not valid" in bad.output
    listed = runner.invoke(microcred, ["catalog", "list"])
    assert "tiny-stats" in listed.output and "1.0.0" in listed.output


def test_export_cc_has_one_lti_link_per_module(
    app: Any, runner: Any, microcred: Any, tmp_path: Path
) -> None:
    publish_bytes(app, tiny_package(tmp_path))
    out = tmp_path / "tiny.imscc"
    result = runner.invoke(
        microcred,
        ["export", "cc", "tiny-stats", "--url", "https://tool.example.edu", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "2 LTI links" in result.output
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as archive:
        names = sorted(archive.namelist())
        assert names == ["imsmanifest.xml", "lti/res_01.xml", "lti/res_02.xml"]
        manifest = ET.fromstring(archive.read("imsmanifest.xml"))
        links = [ET.fromstring(archive.read(f"lti/res_0{n}.xml")) for n in (1, 2)]
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    assert [r.get("type") for r in resources] == ["imsbasiclti_xmlv1p3"] * 2
    titles = [t.text for t in manifest.iter(f"{CP}title")]
    assert "The mean" in titles and "The median" in titles
    first = links[0]
    assert first.findtext(f"{BLTI}title") == "The mean"
    assert first.findtext(f"{BLTI}launch_url") == (
        "https://tool.example.edu/lti/launch?target=module&course=tiny-stats&module=01-mean"
    )
    custom = {p.get("name"): p.text for p in first.find(f"{BLTI}custom") or []}
    assert custom == {"course_id": "tiny-stats", "module_id": "01-mean", "course_version": "1.0.0"}
    outcome = [p.text for p in first.iter(f"{LTICM}property") if p.get("name") == "outcome"]
    assert outcome == ["3"]


def test_export_cc_of_an_unknown_course_says_so(
    app: Any, runner: Any, microcred: Any, tmp_path: Path
) -> None:
    result = runner.invoke(
        microcred,
        [
            "export",
            "cc",
            "no-such-course",
            "--url",
            "https://tool.example.edu",
            "-o",
            str(tmp_path / "x"),
        ],
    )
    assert result.exit_code != 0
    assert "no published course no-such-course" in result.output
