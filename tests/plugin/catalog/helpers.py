"""Helpers for the delivery tests: a small real course written to disk and built, published
packages, and LTI launches (as instructor or learner) from the signing test platform."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.plugin.lti.helpers import MEMBERSHIP, landed_on

TOOL = "http://localhost:5000"
#: The real sample courses of the repository.
ROOT_SAMPLES = Path(__file__).resolve().parents[3] / "content_samples"
COURSE_ID = "tiny-stats"

COURSE_YML = """\
id: tiny-stats
title: Tiny Statistics
version: {version}
language: en
summary: Two short modules about averages.
authors: [Test Author]
license: CC-BY-4.0
modules:
  - modules/01-mean.md
  - modules/02-median.md
completion:
  require: [01-mean, 02-median]
  min_score: 0.5
credential:
  name: Tiny Statistics
  description: Knows the mean and the median.
  criteria: Passed both modules.
"""

MEAN_MD = """\
---
id: 01-mean
title: The mean
minutes: 5
objectives: [Compute a mean.]
graded: true
points: 3
attempts: 2
attempt_credit: [1, 0.5]
---
# The mean

Add the values and divide by how many there are.

![A bar chart of three values](img/bars.svg)

```quiz id=mean-calc points=2
? What is the mean of 2, 4 and 6?
( ) 3 # That is half of 6.
(x) 4 # Right: 12 / 3.
( ) 6 # That is the largest value.
( ) 12 # That is the sum.
hint: Add them first.
explain: The sum is 12 and there are 3 values, so the mean is 4.
```

```quiz id=mean-outlier
? One very large value pulls the mean up.
= true
explain: The mean uses every value, so one extreme value moves it.
```
"""

MEDIAN_MD = """\
---
id: 02-median
title: The median
minutes: 5
graded: true
points: 1
attempts: 1
---
# The median

Sort the values and take the middle one.

```quiz id=median-calc
? What is the median of 1, 3 and 10?
= 3 # Right: the middle value.
~ Sort the values and take the one in the middle.
explain: Sorted, the values are 1, 3, 10; the middle one is 3.
```
"""

BARS_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 30 10" role="img">'
    '<title>bars</title><rect x="0" y="4" width="8" height="6"/>'
    '<rect x="10" y="2" width="8" height="8"/><rect x="20" y="0" width="8" height="10"/></svg>'
)


def write_course(
    folder: Path, version: str = "1.0.0", *, mean_md: str = MEAN_MD, median_md: str = MEDIAN_MD
) -> Path:
    """Write the tiny course into `folder` (created) and return it."""
    (folder / "modules").mkdir(parents=True, exist_ok=True)
    (folder / "img").mkdir(exist_ok=True)
    (folder / "course.yml").write_text(COURSE_YML.format(version=version), encoding="utf-8")
    (folder / "modules" / "01-mean.md").write_text(mean_md, encoding="utf-8")
    (folder / "modules" / "02-median.md").write_text(median_md, encoding="utf-8")
    (folder / "img" / "bars.svg").write_text(BARS_SVG, encoding="utf-8")
    return folder


def build_course(folder: Path, out: Path) -> bytes:
    """Build a course folder into a .mcpkg at `out`; returns its bytes (asserts no errors)."""
    from authoring.package import build_package

    built = build_package(folder, out, cache=False)
    assert built.path is not None, [d.format() for d in built.diagnostics]
    return built.path.read_bytes()


def tiny_package(tmp: Path, version: str = "1.0.0", **changes: str) -> bytes:
    """The tiny course at `version` (with optional changed module sources), built."""
    folder = write_course(tmp / f"src-{version}-{len(changes)}", version, **changes)
    return build_course(folder, tmp / f"tiny-{version}-{len(changes)}.mcpkg")


def publish_bytes(app: Any, data: bytes, who: str = "tests") -> Any:
    """Publish a package directly through the service and commit; returns the version id."""
    from plugin.catalog.services import publish
    from plugin.extensions import db

    with app.app_context():
        result = publish(data, who)
        db.session.commit()
        return result.version.id


def launch_url(target: str, course: str = COURSE_ID, module: str | None = None) -> str:
    query = {"target": target, "course": course}
    if module:
        query["module"] = module
    return f"{TOOL}/lti/launch?{urlencode(query)}"


def launch(
    client: Any,
    platform: Any,
    target_uri: str,
    *,
    role: str = "Learner",
    sub: str = "learner-1",
    custom: dict[str, str] | None = None,
    link_id: str = "link-1",
    **overrides: Any,
) -> str:
    """A resource-link launch; returns the path (with the session token) it lands on."""
    auth = platform.login(client, target_uri)
    claims = platform.claims(auth, target_uri, sub=sub, **overrides)
    claims["https://purl.imsglobal.org/spec/lti/claim/roles"] = [MEMBERSHIP + role]
    claims["https://purl.imsglobal.org/spec/lti/claim/custom"] = custom or {}
    claims["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = {
        "id": link_id,
        "title": "Placed activity",
    }
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    return landed_on(response, status=None)  # callers open the page and check it


def session_of(location: str) -> str:
    """The session token carried in a landing URL."""
    found = re.search(r"mc_session=([^&]+)", location)
    assert found, location
    return found.group(1)


DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
DL_TARGET = f"{TOOL}/lti/deeplink"


def open_picker(client: Any, platform: Any) -> str:
    """An instructor's deep linking launch; returns the picker's path (with the session)."""
    auth = platform.login(client, DL_TARGET)
    claims = platform.deep_linking_claims(auth, DL_TARGET)
    response = client.post(
        "/lti/launch", data={"id_token": platform.sign(claims), "state": auth.state}
    )
    return landed_on(response)


def pick(client: Any, picker: str, *items: str) -> list[dict[str, Any]]:
    """Choose items on the picker; returns the content items of the signed response (verified
    with the tool's published JWKS)."""
    import jwt
    from jwt.algorithms import RSAAlgorithm

    response = client.post(
        "/lti/deeplink", data={"mc_session": session_of(picker), "item": list(items)}
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    token = re.search(r'name="JWT" value="([^"]+)"', response.get_data(as_text=True))
    assert token
    keys = client.get("/lti/jwks").get_json()["keys"]
    kid = jwt.get_unverified_header(token.group(1))["kid"]
    jwk = next(k for k in keys if k["kid"] == kid)
    claims = jwt.decode(
        token.group(1),
        RSAAlgorithm.from_jwk(jwk),
        algorithms=["RS256"],
        options={"verify_aud": False},
    )
    return list(claims[DL + "content_items"])
