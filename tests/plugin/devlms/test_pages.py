"""Pages a person sees: course, launch chrome, gradebook, tools, and their accessibility."""

from __future__ import annotations

import re

import html5lib
import pytest
import requests

from .conftest import LiveLms, StubTool


def get(lms: LiveLms, path: str, status: int = 200) -> str:
    response = requests.get(f"{lms.url}{path}", timeout=10)
    assert response.status_code == status, response.text[:300]
    return response.text


def assert_accessible_basics(page: str) -> None:
    """lang, a title, one h1, main landmark, labelled controls, no resources from elsewhere."""
    html5lib.parse(page, namespaceHTMLElements=False)
    assert '<html lang="en">' in page
    assert re.search(r"<title>[^<]+</title>", page)
    assert page.count("<h1") == 1
    assert '<main id="main"' in page or "<main>" in page
    for control in re.findall(r'<(?:select|input(?![^>]*type="hidden"))[^>]*\bid="([^"]+)"', page):
        assert f'for="{control}"' in page, f"control {control} has no label"
    for iframe in re.findall(r"<iframe\b[^>]*>", page):
        assert 'title="' in iframe
    for resource in re.findall(r'<(?:script|link)\b[^>]*(?:src|href)="([^"]+)"', page):
        assert resource.startswith("/static/devlms/"), resource


@pytest.fixture
def placed(lms: LiveLms, stub_tool: StubTool):
    return lms.client.add_placement(
        "Quiz 1",
        f"{stub_tool.url}/lti/launch?module=m1",
        text="About data",
        line_item={"scoreMaximum": 50, "tag": "quiz"},
    )


def test_course_page_lists_activities_and_the_user_picker(lms, placed):
    page = get(lms, "/?as=grace")
    assert_accessible_basics(page)
    assert "Foundations of Data Literacy" in page and "DATA101" in page
    assert f'href="/launch/{placed.id}?as=grace"' in page
    assert "graded out of 50" in page and "About data" in page
    assert '<label for="as">You are</label>' in page
    assert '<option value="grace" selected>Grace Hopper (Student)</option>' in page
    for name in (
        "Ada Lovelace (Instructor)",
        "Alan Turing (Student)",
        "Katherine Johnson (Student)",
        "Margaret Hamilton (Administrator)",
        "Rosalind Franklin (Staff)",
    ):
        assert name in page
    assert "Add content" not in page  # students place nothing


def test_instructors_get_add_content(lms, placed):
    page = get(lms, "/?as=ada")
    assert 'href="/deeplink?as=ada&amp;client_id=microcred-dev"' in page
    chrome = get(lms, "/deeplink?as=ada&client_id=microcred-dev")
    assert_accessible_basics(chrome)
    assert 'src="/deeplink/initiate?as=ada&amp;client_id=microcred-dev"' in chrome
    get(lms, "/deeplink?as=grace", status=403)


def test_launch_page_frames_the_tool_beside_the_storage_frame(lms, stub_tool, placed):
    page = get(lms, f"/launch/{placed.id}?as=alan")
    assert_accessible_basics(page)
    tool_frame = re.search(r'<iframe class="tool-frame"[^>]*>', page, re.S)[0]
    assert f'src="/launch/{placed.id}/initiate?as=alan"' in tool_frame
    assert 'title="Quiz 1 (microcred)"' in tool_frame and 'allow="' in tool_frame
    storage = re.search(r'<iframe name="post_message_forwarding"[^>]*>', page, re.S)[0]
    assert "hidden" in storage and 'src="/platform_storage?client_id=microcred-dev"' in storage
    assert page.index("post_message_forwarding") < page.index("tool-frame")
    assert "Open in a new window" in page and f'"origins": ["{stub_tool.url}"]' in page


def test_platform_storage_frame_knows_only_the_tools_origins(lms, stub_tool):
    page = get(lms, "/platform_storage?client_id=microcred-dev")
    assert f'"origins": ["{stub_tool.url}"]' in page and "platform_storage.js" in page
    assert '"origins": []' in get(lms, "/platform_storage?client_id=nobody")
    script = get(lms, "/static/devlms/platform_storage.js")
    assert "origins.indexOf(event.origin) === -1" in script


def test_gradebook_page_is_a_real_table(lms, placed):
    page = get(lms, "/gradebook?as=ada")
    assert_accessible_basics(page)
    assert "<caption" in page and '<th scope="col">Student</th>' in page
    assert '<th scope="row">Grace Hopper</th>' in page
    assert '<th scope="row">Ada Lovelace</th>' not in page  # students only
    assert "No score yet" in page and "Quiz 1" in page


def test_tools_page_lists_tools_and_platform_urls(lms, stub_tool):
    page = get(lms, "/admin/tools?as=admin")
    assert_accessible_basics(page)
    assert "microcred-dev" in page and f"{stub_tool.url}/lti/login" in page
    assert f"<code>{lms.url}/token</code>" in page and f"<code>{lms.url}/auth</code>" in page
    assert '<label for="registration_url">' in page
    bad = get(lms, "/admin/tools?as=admin&registration_url=javascript:alert(1)")
    assert "That is not an http(s) URL." in bad and "registration-frame" not in bad


def test_unknown_user_and_placement_are_404_pages(lms):
    assert "No user" in get(lms, "/?as=mallory", status=404)
    assert "No placement" in get(lms, "/launch/rl-nope?as=grace", status=404)
    api = requests.get(f"{lms.url}/api/nothing", timeout=10)
    assert api.status_code == 404 and api.json()["error"] == "not_found"


def test_return_url_leaves_the_frame_with_the_tool_message(lms):
    page = get(lms, "/return?as=grace&placement=x&lti_msg=Saved&lti_errormsg=Oops")
    assert 'id="back" href="/?as=grace&amp;lti_msg=Saved&amp;lti_errormsg=Oops"' in page
    assert 'target="_top"' in page and "break_out.js" in page
    course = get(lms, "/?as=grace&lti_msg=Saved&lti_errormsg=Oops")
    assert '<p class="note note-ok" role="status">Saved</p>' in course
    assert '<p class="note note-error" role="alert">Oops</p>' in course


def test_error_pages_escape_what_they_echo(lms):
    page = requests.get(
        f"{lms.url}/auth", params={"client_id": "<script>x</script>"}, timeout=10
    ).text
    assert "<script>x</script>" not in page and "&lt;script&gt;" in page
