"""Issue one achievement to many learners at once: credentials are built here, signed on every
core (a process pool), and inserted in bulk with insert-or-ignore, so a batch that races with
single completions still gives each learner one award.

Used for back-filling (a cohort finishing together, a re-issue after an import) and by the
benchmark. Like the services, it flushes and never commits.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ..db import utcnow
from ..extensions import db
from ..lti.models import Learner
from . import proof, statuslist
from .achievements import achievement_document
from .issuer import current_signing_key, get_profile, profile_json
from .keys import SigningKey
from .models import Achievement, Award, LearnerDid
from .services import Recipient, build_credential, identifiers_of
from .sql import insert_ignore
from .status import open_list

CHUNK = 250
INSERT_ROWS = 1000


@dataclass(frozen=True)
class BatchResult:
    """What a batch did: awards created, and learners skipped because they already had one."""

    created: int
    skipped: int


def _sign_chunk(args: tuple[SigningKey, datetime, list[Mapping[str, Any]]]) -> list[str]:
    key, created, documents = args
    return [json.dumps(proof.sign(doc, key, created=created)) for doc in documents]


def _pool(workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def sign_many(
    documents: Sequence[Mapping[str, Any]], key: SigningKey, created: datetime, workers: int
) -> list[str]:
    """Sign ``documents`` (in order) on ``workers`` processes; JSON text of each signed one."""
    size = max(1, min(CHUNK, -(-len(documents) // max(workers, 1))))
    chunks = [list(documents[i : i + size]) for i in range(0, len(documents), size)]
    if workers <= 1 or len(chunks) <= 1:
        return [text for chunk in chunks for text in _sign_chunk((key, created, chunk))]
    with _pool(workers) as pool:
        results = pool.map(_sign_chunk, [(key, created, chunk) for chunk in chunks])
        return [text for chunk in results for text in chunk]


def issue_achievement_to(
    achievement: Achievement,
    learner_ids: Sequence[int],
    *,
    kind: str = "course",
    scores: Mapping[int, float] | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Award ``achievement`` to every learner in ``learner_ids`` who does not hold it yet."""
    workers = workers or os.cpu_count() or 1
    held = set(
        db.session.scalars(
            select(Award.learner_id).where(Award.achievement_id == achievement.achievement_id)
        )
    )
    wanted = [i for i in dict.fromkeys(learner_ids) if i not in held]
    learners = (
        {row.id: row for row in db.session.scalars(select(Learner).where(Learner.id.in_(wanted)))}
        if wanted
        else {}
    )
    dids = (
        dict(
            db.session.execute(
                select(LearnerDid.learner_id, LearnerDid.did).where(
                    LearnerDid.learner_id.in_(wanted)
                )
            ).all()
        )
        if wanted
        else {}
    )
    listing = open_list()
    used = set(
        db.session.scalars(select(Award.status_index).where(Award.status_list_id == listing.id))
    )
    document = achievement_document(achievement)
    key = current_signing_key()
    issued_at = utcnow().replace(microsecond=0)
    days = achievement.expires_after_days
    valid_until = issued_at + timedelta(days=days) if days else None
    profiles: dict[int | None, dict[str, Any]] = {}
    rows: list[dict[str, Any]] = []
    unsigned: list[dict[str, Any]] = []
    for learner_id in wanted:
        learner = learners.get(learner_id)
        if learner is None:
            continue
        if learner.registration_id not in profiles:
            profiles[learner.registration_id] = profile_json(get_profile(learner.registration_id))
        index = statuslist.allocate_index(used)
        used.add(index)
        public_id = str(uuid.uuid4())
        score = (scores or {}).get(learner_id)
        credits = document.get("creditsAvailable")
        unsigned.append(
            build_credential(
                public_id=public_id,
                learner=learner,
                recipient=Recipient(identifiers_of(learner), dids.get(learner_id)),
                achievement=document,
                issuer=profiles[learner.registration_id],
                list_number=listing.number,
                index=index,
                issued_at=issued_at,
                valid_until=valid_until,
                score=score,
                credits=credits,
                evidence=(),
            )
        )
        rows.append(
            dict(
                learner_id=learner_id,
                achievement_id=achievement.achievement_id,
                course_id=achievement.course_id,
                course_version_id=achievement.course_version_id,
                score=score,
                credits=credits,
                issued_at=issued_at,
                valid_from=issued_at,
                valid_until=valid_until,
                status_index=index,
                kind=kind,
                public_id=public_id,
                status_list_id=listing.id,
            )
        )
    for row, text in zip(rows, sign_many(unsigned, key, issued_at, workers), strict=True):
        row["credential_json"] = text
    for start in range(0, len(rows), INSERT_ROWS):
        db.session.execute(insert_ignore(Award), rows[start : start + INSERT_ROWS])
    db.session.flush()
    created = _count_created([row["public_id"] for row in rows])
    return BatchResult(created=created, skipped=len(learner_ids) - created)


def _count_created(public_ids: list[str]) -> int:
    count = 0
    for start in range(0, len(public_ids), INSERT_ROWS):
        chunk = public_ids[start : start + INSERT_ROWS]
        count += int(
            db.session.scalar(
                select(func.count()).select_from(Award).where(Award.public_id.in_(chunk))
            )
            or 0
        )
    return count
