"""The registrar area through HTTP as a registrar account: import, edit, eligibility, queue,
evidence, decisions, exports, templates, charts. Bad input gets a clear message, loses nothing."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from tests.plugin.admin.helpers import csrf_from

from .conftest import MEMBERS, PROGRAM, world_context


def _post(client: Any, page: str, action: str, data: dict[str, Any], **kw: Any) -> Any:
    got = client.get(page)
    assert got.status_code == 200, (page, got.status_code)
    return client.post(action, data={"csrf_token": csrf_from(got.text), **data}, **kw)


@pytest.fixture
def learners(app: Any) -> list[int]:
    """Three learners who completed every member course with 90 %, and one who did not."""
    from plugin.extensions import db

    with world_context(app) as world:
        ids = []
        for name in ("Grace Hopper", "Alan Turing", "Katherine Johnson"):
            lid = world.learner(name)
            world.complete(lid)
            ids.append(lid)
        world.complete(world.learner("Partial Person"), MEMBERS[:1])
        db.session.commit()
        return ids


def _import(client: Any, text: str = PROGRAM) -> Any:
    return _post(
        client, "/registrar/pathways", "/registrar/pathways/import", {"program_text": text}
    )


def test_import_lists_every_error_and_keeps_the_text(registrar_client: Any) -> None:
    broken = PROGRAM.replace("title: Foundations of Data Literacy\n", "").replace(
        "grade_mode: pass-fail", "grade_mode: sometimes"
    )
    response = _import(registrar_client, broken)
    assert response.status_code == 422
    page = response.text
    assert "The program file was not imported" in page
    assert "program.yml:" in page and "error[R002]" in page and "error[R004]" in page
    assert "Three micro-courses that together earn DATA 1010." in page  # the text is kept
    listing = registrar_client.get("/registrar/pathways").text
    assert "No pathway yet" in listing


def test_full_review_flow(registrar_client: Any, learners: list[int]) -> None:
    response = _import(registrar_client)
    assert response.status_code == 303
    edit_url = response.headers["Location"]
    assert "Pathway Foundations of Data Literacy imported" in registrar_client.get(edit_url).text

    # Edit with two mistakes: both reported, the typed values kept, nothing saved.
    form = {
        "title": "",
        "rule": "all",
        "credit_hours": "three",
        "credit_level": "undergraduate-lower",
        "grade_mode": "pass-fail",
        "institution_course": "DATA 1010",
        "recency_days": "365",
        "second_approver": "on",
    }
    page = registrar_client.get(edit_url).text
    for line in page.splitlines():
        if 'name="min_result_' in line:
            key = line.split('name="')[1].split('"')[0]
            form[key] = "0.7"
    bad = registrar_client.post(edit_url, data={"csrf_token": csrf_from(page), **form})
    assert bad.status_code == 422
    assert "Enter a title." in bad.text and "Enter a number, e.g. 3 or 0.7." in bad.text
    assert 'value="three"' in bad.text
    form.update(title="Data Literacy Certificate", credit_hours="3", second_approver="")
    assert (
        registrar_client.post(edit_url, data={"csrf_token": csrf_from(page), **form}).status_code
        == 303
    )

    # Compute eligibility: three learners enter the queue.
    listing = registrar_client.get("/registrar/pathways").text
    refresh = edit_url + "/refresh"
    response = registrar_client.post(refresh, data={"csrf_token": csrf_from(listing)})
    assert response.status_code == 303
    queue = registrar_client.get(response.headers["Location"]).text
    assert "3 newly eligible learner(s) added to the queue" in queue
    for name in ("Grace Hopper", "Alan Turing", "Katherine Johnson"):
        assert name in queue
    assert "Partial Person" not in queue

    # Evidence: rules met, each credential verified live, the CLR downloadable.
    case_url = queue.split('href="/registrar/cases/')[1].split('"')[0]
    case_url = "/registrar/cases/" + case_url
    evidence = registrar_client.get(case_url).text
    assert "Met: 3 of all 3 credentials" in evidence
    assert evidence.count("Verified") == 3 and "all checks passed" in evidence
    clr = registrar_client.get(case_url + "/clr.json")
    assert clr.status_code == 200 and "attachment" in clr.headers["Content-Disposition"]
    assert "ClrCredential" in json.loads(clr.text)["type"]

    # A decision without a reason is refused; the note typed is kept.
    bad = registrar_client.post(
        case_url + "/decide",
        data={"csrf_token": csrf_from(evidence), "action": "approve", "note": "looks fine"},
    )
    assert bad.status_code == 422 and "Choose a reason code." in bad.text
    assert "looks fine" in bad.text
    ok = registrar_client.post(
        case_url + "/decide",
        data={
            "csrf_token": csrf_from(evidence),
            "action": "approve",
            "reason_code": "meets-requirements",
            "note": "looks fine",
        },
    )
    assert ok.status_code == 303
    decided = registrar_client.get(case_url).text
    assert "Decision recorded: the case is now approved." in decided
    assert "pending to approved" in decided and "decisions are final" in decided

    # Export: a Banner batch with the one approved case, re-downloadable, posted once only.
    exports_page = registrar_client.get("/registrar/exports/").text
    assert "1 approved credit decision(s) are waiting" in exports_page
    banner = exports_page.split('<option value="')[1].split('"')[0]
    made = registrar_client.post(
        "/registrar/exports/", data={"csrf_token": csrf_from(exports_page), "template_id": banner}
    )
    assert made.status_code == 303
    first = registrar_client.get("/registrar/exports/1.csv")
    rows = list(csv.DictReader(io.StringIO(first.text)))
    assert len(rows) == 1
    assert rows[0]["SHRTRCE_SUBJ_CODE"] == "DATA" and rows[0]["SHRTRCE_CRSE_NUMB"] == "1010"
    assert rows[0]["SHRTRCE_CREDIT_HOURS"] == "3" and rows[0]["SHRTRCE_GRDE_CODE"] == "P"
    assert registrar_client.get("/registrar/exports/1.csv").text == first.text
    again = registrar_client.post(
        "/registrar/exports/", data={"csrf_token": csrf_from(exports_page), "template_id": banner}
    )
    assert again.status_code == 422 and "nothing to export" in again.text
    posted = registrar_client.post(
        "/registrar/exports/1/posted", data={"csrf_token": csrf_from(exports_page)}
    )
    assert posted.status_code == 303
    twice = registrar_client.post(
        "/registrar/exports/1/posted", data={"csrf_token": csrf_from(exports_page)}
    )
    assert twice.status_code == 409 and "already marked posted" in twice.text

    # Charts: SVG with a title and the same numbers in a table.
    charts = registrar_client.get(edit_url + "/charts").text
    assert 'role="img"' in charts and "<title" in charts
    assert '<th scope="row">Started</th><td>4</td>' in charts
    assert '<th scope="row">Stacked</th><td>3</td>' in charts
    assert '<th scope="row">Credited</th><td>1</td>' in charts


def test_queue_filters_and_pages(registrar_client: Any, app: Any) -> None:
    from plugin.extensions import db
    from plugin.registrar import cases, queue

    with world_context(app) as world:
        pathway = world.pathway(PROGRAM.replace("rule: all", "rule: {n_of: 1}"))
        for n in range(queue.PAGE_SIZE + 2):
            world.award(world.learner(f"Learner {n:02d}"), MEMBERS[0])
        cases.refresh_pathway(pathway)
        db.session.commit()
        pid = pathway.id
    first = registrar_client.get("/registrar/", query_string={"pathway": pid}).text
    assert f"{queue.PAGE_SIZE + 2} case(s) match; page 1 of 2." in first
    assert "Learner 00" in first and "Next page" in first
    second = registrar_client.get("/registrar/", query_string={"pathway": pid, "page": 2}).text
    assert "page 2 of 2" in second and "Previous page" in second
    approved = registrar_client.get("/registrar/", query_string={"status": "approved"}).text
    assert "0 case(s) match" in approved
    odd = registrar_client.get("/registrar/", query_string={"from": "yesterday"}).text
    assert "From date &#39;yesterday&#39; is not a date like 2026-12-31; ignored." in odd
    assert "page 1 of 2" in odd
    future = registrar_client.get("/registrar/", query_string={"from": "2999-01-01"}).text
    assert "0 case(s) match" in future


def test_custom_template_mapping(registrar_client: Any) -> None:
    page = registrar_client.get("/registrar/templates/new")
    bad = registrar_client.post(
        "/registrar/templates/new",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Registrar sheet",
            "columns": "Student = student_id\nWhat\nHours = hourz",
        },
    )
    assert bad.status_code == 422
    assert "line 2: write &#39;Header = field&#39;" in bad.text
    assert "line 3: unknown field &#39;hourz&#39;" in bad.text
    assert "Hours = hourz" in bad.text  # kept for fixing
    good = registrar_client.post(
        "/registrar/templates/new",
        data={
            "csrf_token": csrf_from(page.text),
            "name": "Registrar sheet",
            "columns": "Student = student_id\nHours = credit_hours",
        },
    )
    assert good.status_code == 303
    listing = registrar_client.get("/registrar/exports/").text
    for name in ("Banner", "PeopleSoft", "Workday Student", "Registrar sheet"):
        assert name in listing


def _member_form(page: str, **fields: str) -> tuple[dict[str, str], list[str]]:
    """An edit form with `fields` and every member of `page` kept, required, minimum 0.7;
    and the members' ids, in page order."""
    ids = [
        line.split('name="min_result_')[1].split('"')[0]
        for line in page.splitlines()
        if 'name="min_result_' in line
    ]
    form = dict(fields)
    for member_id in ids:
        form[f"min_result_{member_id}"] = "0.7"
        form[f"required_{member_id}"] = "on"
    return form, ids


def test_members_can_be_added_and_removed(registrar_client: Any) -> None:
    edit_url = _import(registrar_client).headers["Location"]
    page = registrar_client.get(edit_url).text
    form, ids = _member_form(
        page,
        title="Data Literacy",
        rule="n-of",
        n_required="3",
        credit_hours="3",
        credit_level="graduate",
        grade_mode="letter",
        institution_course="DATA 5010",
    )
    form[f"remove_{ids[2]}"] = "on"
    bad = registrar_client.post(
        edit_url, data={"csrf_token": csrf_from(page), **form, "add_member": "Data Ethics!"}
    )
    assert bad.status_code == 422
    assert "Enter a course id: lower-case letters, digits and dashes." in bad.text
    assert "Enter a number from 1 to 2." in bad.text  # N above what would remain
    form.update(n_required="2", add_member="data-ethics", add_min_result="0.5")
    form.pop(f"required_{ids[0]}")
    ok = registrar_client.post(edit_url, data={"csrf_token": csrf_from(page), **form})
    assert ok.status_code == 303
    saved = registrar_client.get(edit_url).text.split('<h2 id="history">')[0]  # the form
    assert "data-ethics" in saved and "data-visualization" not in saved
    listing = registrar_client.get("/registrar/pathways").text
    assert "2 of 3" in listing and "DATA 5010" in listing


def _history(page: str) -> str:
    """The text of a pathway page's History section."""
    return page.split('<h2 id="history">History</h2>', 1)[1]


def test_every_change_to_a_pathway_is_in_its_history(registrar_client: Any, app: Any) -> None:
    """Who changed the credit rules, when, from what to what: imports and edits alike, kept
    append-only; a save that changes nothing adds nothing."""
    edit_url = _import(registrar_client).headers["Location"]
    page = registrar_client.get(edit_url).text
    assert "Pathway: created, version 1.0.0" in _history(page)
    assert "account:" in _history(page) and "program file" in _history(page)

    form, ids = _member_form(
        page,
        title="Foundations of Data Literacy",
        rule="all",
        credit_hours="4",
        credit_level="undergraduate-lower",
        grade_mode="pass-fail",
        institution_course="DATA 1010",
        recency_days="365",
    )
    form[f"min_result_{ids[0]}"] = "0.8"
    form[f"remove_{ids[2]}"] = "on"
    saved = registrar_client.post(edit_url, data={"csrf_token": csrf_from(page), **form})
    assert saved.status_code == 303
    page = registrar_client.get(edit_url).text
    latest = _history(page).split("</tr>", 2)[1]  # newest first: the edit
    assert "this page" in latest and "account:" in latest
    assert "Credit hours: 3 to 4" in latest
    assert "Member data-spreadsheets: minimum 0.7, required to minimum 0.8, required" in latest
    assert "Member data-visualization: minimum 0.7, required to removed" in latest
    assert "Title" not in latest  # unchanged fields are not listed

    del form[f"remove_{ids[2]}"], form[f"min_result_{ids[2]}"], form[f"required_{ids[2]}"]
    form[f"min_result_{ids[0]}"] = "0.8"
    again = registrar_client.post(edit_url, data={"csrf_token": csrf_from(page), **form})
    assert again.status_code == 303
    assert _history(registrar_client.get(edit_url).text).count("<tr>") == 1 + 2  # nothing new

    reimport = _import(registrar_client, PROGRAM.replace("credit_hours: 3", "credit_hours: 2"))
    assert reimport.status_code == 303
    latest = _history(registrar_client.get(edit_url).text).split("</tr>", 2)[1]
    assert "program file" in latest and "Credit hours: 4 to 2" in latest
    assert "Member data-visualization: minimum 0.7, required" in latest  # back again

    from sqlalchemy import text

    from plugin.extensions import db

    with app.app_context():
        for statement in (
            "UPDATE pathway_changes SET changed_by = 'someone else'",
            "DELETE FROM pathway_changes",
        ):
            with pytest.raises(Exception, match="append-only"):
                db.session.execute(text(statement))
            db.session.rollback()
        count = db.session.execute(text("SELECT count(*) FROM pathway_changes")).scalar()
        assert count == 3
