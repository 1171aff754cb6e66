"""Credentials benchmark: sign and verify Open Badges 3.0 credentials (eddsa-rdfc-2022).

Prints credentials signed per second and verified per second on one core, the time to issue
10,000 awards in one batch on every core (the tool's own batch service: credentials built,
signed on a process pool, inserted into a migrated database; also the signing alone), and,
when node and npm work, the
same credentials verified by the reference JavaScript implementation (Digital Bazaar's vc,
data-integrity and eddsa-rdfc-2022-cryptosuite, in js-peer/) with the ratio. A credential the
peer rejects is an interoperability failure and makes the script exit 1. Asserts nothing
about time. ``--quick`` is a small smoke run (500 awards, 50 credentials per sample).

Targets (issue 5): 10,000 awards in < 25 s using both cores; verification no slower per
credential than the JavaScript reference measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from plugin.credentials import jsonld, keys, ob3, proof, statuslist
from plugin.credentials.resolve import KeyResolver, static_fetcher
from plugin.credentials.verify import verify_credential

HERE = Path(__file__).parent
JS_PEER = HERE / "js-peer"
PUBLIC_URL = "https://badges.example.edu"
LIST_URL = f"{PUBLIC_URL}/credentials/status/1"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
TARGET_BATCH_SECONDS = 25.0


def _achievements(count: int = 5) -> list[dict[str, Any]]:
    """A few micro-credentials with everything the tool fills in (credits, results, skills)."""
    made = []
    for n in range(count):
        achievement_id = f"{PUBLIC_URL}/achievements/course-{n}"
        made.append(
            ob3.achievement(
                achievement_id=achievement_id,
                name=f"Data Skills {n + 1}",
                description="Cleans, reshapes and summarises tabular data.",
                criteria_narrative="Score at least 70% on every graded quiz of the course.",
                achievement_type="MicroCredential",
                image=ob3.image(f"{achievement_id}/badge.svg", caption=f"Data Skills {n + 1}"),
                credits_available=1,
                alignments=[
                    ob3.alignment(
                        target_name="Data literacy",
                        target_url="https://frameworks.example.org/data-literacy",
                        target_framework="Example Data Framework",
                        target_code=f"DL.{n}",
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
                human_code=f"DATA10{n}",
                field_of_study="Data science",
                tags=["data"],
                in_language="en",
                version="1.0.0",
            )
        )
    return made


class Setup:
    """The issuer (did:web key, DID document, profile), its achievements and status list."""

    def __init__(self, seed: bytes | None = None) -> None:
        self.did = keys.did_web_from_url(PUBLIC_URL)
        self.key = (
            keys.signing_key_from_seed(seed, self.did)
            if seed is not None
            else keys.generate_signing_key(self.did)
        )
        self.profile = ob3.issuer_profile(
            issuer_id=self.did, name="Example University", url=PUBLIC_URL
        )
        self.achievements = _achievements()
        self.did_document = keys.did_document(self.did, [self.key])

    def award(self, n: int) -> dict[str, Any]:
        """The unsigned credential for award number ``n`` (a distinct learner each time)."""
        achievement = self.achievements[n % len(self.achievements)]
        return ob3.open_badge_credential(
            credential_id=f"urn:uuid:00000000-0000-4000-8000-{n:012d}",
            issuer=self.profile,
            achievement=achievement,
            valid_from=NOW - timedelta(days=1),
            identifiers=[
                ob3.identity_object("emailAddress", f"learner{n}@example.edu"),
                ob3.identity_object("ltiUserId", f"lms-user-{n}"),
            ],
            results=[
                ob3.result(result_description_id=achievement["id"] + "#score", value=70 + n % 31)
            ],
            credits_earned=1,
            evidence=[
                ob3.evidence(
                    evidence_id=f"{PUBLIC_URL}/attempts/{n}",
                    name="Final quiz",
                    narrative=f"Scored {70 + n % 31}%.",
                )
            ],
            status_entry=statuslist.status_entry(LIST_URL, n % statuslist.MIN_ENTRIES),
            awarded_date=NOW - timedelta(days=1),
        )

    def sign(self, n: int) -> dict[str, Any]:
        """Build and sign award ``n``: what issuing an award costs."""
        return proof.sign(self.award(n), self.key, created=NOW - timedelta(days=1))

    def status_list(self) -> dict[str, Any]:
        """The signed status list (nothing revoked)."""
        listing = statuslist.status_list_credential(
            LIST_URL,
            self.did,
            statuslist.encode_list(statuslist.new_bitstring()),
            NOW - timedelta(days=30),
        )
        return proof.sign(listing, self.key, created=NOW - timedelta(days=30))

    def documents(self) -> dict[str, Any]:
        """What a resolver fetches: the DID document and the status list."""
        return {
            keys.did_web_document_url(self.did): self.did_document,
            LIST_URL: self.status_list(),
        }


_WORKER: Setup | None = None


def _init_worker(seed: bytes) -> None:
    global _WORKER
    _WORKER = Setup(seed)


def _sign_range(bounds: tuple[int, int]) -> int:
    assert _WORKER is not None
    for n in range(*bounds):
        _WORKER.sign(n)
    return bounds[1] - bounds[0]


def bench_single_core(setup: Setup, count: int) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Sign then verify ``count`` credentials in this process (one core)."""
    setup.sign(0)  # warm the context caches, as a running server would be
    wall, cpu = time.perf_counter(), time.process_time()
    signed = [setup.sign(n) for n in range(count)]
    sign_wall, sign_cpu = time.perf_counter() - wall, time.process_time() - cpu

    fetcher = static_fetcher(setup.documents())
    resolver = KeyResolver(fetcher)
    figures = {"sign_wall": sign_wall, "sign_cpu": sign_cpu}
    for label, schema in (("verify", False), ("verify_schema", True)):
        verify_credential(signed[0], resolve_key=resolver, fetch_status_list=fetcher, now=NOW)
        wall, cpu = time.perf_counter(), time.process_time()
        verdicts = [
            verify_credential(
                doc, resolve_key=resolver, fetch_status_list=fetcher, now=NOW, schema=schema
            )
            for doc in signed
        ]
        figures[f"{label}_wall"] = time.perf_counter() - wall
        figures[f"{label}_cpu"] = time.process_time() - cpu
        failed = [v for v in verdicts if not v.ok]
        if failed:
            raise SystemExit(f"our own verifier rejected {len(failed)}: {failed[0].as_dict()}")
    return signed, figures


def bench_batch(setup: Setup, awards: int, workers: int) -> tuple[float, float]:
    """Wall time and worker CPU time to build and sign ``awards`` credentials on ``workers``."""
    chunk = 250
    ranges = [(start, min(start + chunk, awards)) for start in range(0, awards, chunk)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    pool = context.Pool(workers, initializer=_init_worker, initargs=(setup.key.private_key,))
    done = sum(pool.imap_unordered(_sign_range, ranges))
    pool.close()
    pool.join()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert done == awards
    return elapsed, cpu


#: What the DB batch issued, for the JS peer: a sample of credentials, the DID document and
#: the status lists they point at, and when they were issued.
ISSUED: dict[str, Any] = {}


def _issued_sample(achievement_id: str, size: int = 50) -> dict[str, Any]:
    from plugin.credentials.issuer import did_document
    from plugin.credentials.models import Award
    from plugin.credentials.status import signed_list
    from plugin.extensions import db

    awards = db.session.scalars(
        db.select(Award).where(Award.achievement_id == achievement_id).limit(size)
    ).all()
    credentials = [json.loads(a.credential_json) for a in awards]
    lists = {}
    for credential in credentials:
        url = credential["credentialStatus"]["statusListCredential"]
        lists.setdefault(url, signed_list(int(url.rsplit("/", 1)[1])))
    return {
        "credentials": credentials,
        "did_document": did_document(),
        "status_lists": lists,
        "now": awards[0].issued_at + timedelta(minutes=1) if awards else NOW,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_issue_batch(awards: int, workers: int) -> tuple[float, int, float, float]:
    """Issue one achievement to ``awards`` learners through ``plugin.credentials.batch`` on a
    freshly migrated database (MICROCRED_BENCH_DATABASE_URL, else SQLite in a temp folder);
    returns the wall time of the batch (build, sign on ``workers`` processes, insert, commit),
    the number of awards created, and the CPU seconds of this process and of the workers."""
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from plugin import create_app
    from plugin.credentials.achievements import build_achievement, save_achievement
    from plugin.credentials.batch import issue_achievement_to
    from plugin.extensions import db
    from plugin.lti.models import Learner, Registration

    folder = Path(tempfile.mkdtemp(prefix="mc-bench-cred-"))
    url = os.environ.get("MICROCRED_BENCH_DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    app = create_app(
        {
            "MICROCRED_ENV": "testing",
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(folder),
            "PUBLIC_URL": PUBLIC_URL,
            "LOG_LEVEL": "WARNING",  # the figures, not the app's notes, on the terminal
        }
    )
    try:
        with app.app_context():
            upgrade()
            registration = Registration(
                issuer="https://lms.example.edu",
                client_id=f"bench-{os.getpid()}",
                name="bench",
                auth_login_url="https://lms.example.edu/auth",
                auth_token_url="https://lms.example.edu/token",
                key_set_url="https://lms.example.edu/jwks",
            )
            db.session.add(registration)
            db.session.flush()
            tag = folder.name
            db.session.execute(
                insert(Learner),
                [
                    {
                        "issuer": "https://lms.example.edu",
                        "sub": f"{tag}-{n}",
                        "name": f"Learner {n}",
                        "email": f"learner{n}@example.edu",
                        "registration_id": registration.id,
                    }
                    for n in range(awards)
                ],
            )
            spec = {
                "name": "Data Skills",
                "description": "Cleans, reshapes and summarises tabular data.",
                "criteria": "Score at least 70% on every graded quiz of the course.",
                "credit_hours": 1,
            }
            row = save_achievement(
                f"bench-{tag}",
                build_achievement(f"bench-{tag}", spec, min_score=0.7),
                kind="course",
            )
            ids = list(
                db.session.scalars(
                    db.select(Learner.id).where(Learner.registration_id == registration.id)
                )
            )
            db.session.commit()
            own, children = resource.getrusage(resource.RUSAGE_SELF), _children_cpu()
            started = time.perf_counter()
            result = issue_achievement_to(row, ids, workers=workers)
            db.session.commit()
            elapsed = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_SELF)
            parent_cpu = (after.ru_utime + after.ru_stime) - (own.ru_utime + own.ru_stime)
            worker_cpu = _children_cpu() - children
            ISSUED.update(_issued_sample(row.achievement_id))
            db.engine.dispose()
        return elapsed, result.created, parent_cpu, worker_cpu
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _npm_ready() -> str | None:
    """None when the JS peer can run, else the reason it cannot."""
    if not shutil.which("node") or not shutil.which("npm"):
        return "node or npm is not installed"
    if _peer_loads():
        return None
    print("  installing the JS peer (npm ci: node_modules missing or incomplete) ...", flush=True)
    try:
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_PEER,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"npm ci failed: {exc}"
    if done.returncode != 0:
        return f"npm ci failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None if _peer_loads() else "the JS peer's packages do not load after npm ci"


def _peer_loads() -> bool:
    """True when node can import every package verify.mjs needs (a copied node_modules can
    lack built files)."""
    probe = "".join(
        f"import '{name}';"
        for name in (
            "@digitalbazaar/vc",
            "@digitalbazaar/data-integrity",
            "@digitalbazaar/eddsa-rdfc-2022-cryptosuite",
        )
    )
    try:
        done = subprocess.run(
            ["node", "--input-type=module", "-e", probe],
            cwd=JS_PEER,
            capture_output=True,
            timeout=120,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def bench_js_peer(setup: Setup, signed: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """Have the JS reference verify our credentials; returns its figures (or why not)."""
    return run_js_peer(setup.did_document, {LIST_URL: setup.status_list()}, signed, rounds, NOW)


def run_js_peer(
    did_document: dict[str, Any],
    status_lists: dict[str, Any],
    signed: list[dict[str, Any]],
    rounds: int,
    now: datetime,
) -> dict[str, Any]:
    """Run js-peer/verify.mjs over ``signed`` with the issuer's DID document and status lists."""
    reason = _npm_ready()
    if reason:
        return {"skipped": reason}
    documents: dict[str, Any] = {did_document["id"]: did_document}
    for method in did_document["verificationMethod"]:
        documents[method["id"]] = {"@context": keys.MULTIKEY_V1_CONTEXT, **method}
    payload = {
        "contexts": {
            url: str(jsonld.CONTEXTS_DIR / name) for url, name in jsonld.CONTEXT_FILES.items()
        },
        "documents": documents,
        "statusLists": status_lists,
        "credentials": signed,
        "now": now.isoformat().replace("+00:00", "Z"),
        "rounds": rounds,
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.json"
        path.write_text(json.dumps(payload), "utf-8")
        try:
            done = subprocess.run(
                ["node", str(JS_PEER / "verify.mjs"), str(path)],
                capture_output=True,
                text=True,
                timeout=1800,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return {"skipped": f"node verify.mjs failed: {exc}"}
    if done.returncode != 0:
        return {"skipped": f"node verify.mjs failed: {done.stderr.strip()[-800:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures (1 only when the JS peer rejects a credential)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--awards", type=int, default=10_000, help="batch size (default 10000)")
    parser.add_argument("--sample", type=int, default=300, help="single-core sample size")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--js-rounds", type=int, default=1, help="passes of the JS peer")
    parser.add_argument("--no-js", action="store_true", help="skip the JavaScript peer")
    parser.add_argument("--quick", action="store_true", help="500 awards, 50 per sample (smoke)")
    args = parser.parse_args(argv)
    if args.quick:
        args.awards, args.sample = min(args.awards, 500), min(args.sample, 50)

    setup = Setup()
    size = len(json.dumps(setup.sign(0)))
    print(f"credential: OpenBadgeCredential, {size} bytes signed, eddsa-rdfc-2022, did:web issuer")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")

    signed, f = bench_single_core(setup, args.sample)
    n = args.sample
    print(f"\none core, {n} credentials (rates from wall time; CPU time in brackets):")
    print(
        f"  signed/s               {n / f['sign_wall']:8.1f}  [{n / f['sign_cpu']:.1f}]"
        f"   {1000 * f['sign_cpu'] / n:.2f} ms CPU each"
    )
    print(
        f"  verified/s             {n / f['verify_wall']:8.1f}  [{n / f['verify_cpu']:.1f}]"
        f"   {1000 * f['verify_cpu'] / n:.2f} ms CPU each  (signature, issuer key, status, dates)"
    )
    print(
        f"  verified/s with schema {n / f['verify_schema_wall']:8.1f}"
        f"  [{n / f['verify_schema_cpu']:.1f}]"
        f"   {1000 * f['verify_schema_cpu'] / n:.2f} ms CPU each  (+ 1EdTech JSON schema)"
    )

    issued_in, created, parent_cpu, worker_cpu = bench_issue_batch(args.awards, args.workers)
    verdict = "meets" if issued_in < TARGET_BATCH_SECONDS else "MISSES"
    if args.awards < 10_000:
        verdict = "not measured (needs --awards 10000)"
    print(
        f"\nbatch: {created} awards issued (built, signed on {args.workers} processes, inserted "
        f"and committed) in {issued_in:.1f} s ({created / issued_in:.0f}/s); "
        f"target < {TARGET_BATCH_SECONDS:.0f} s for 10000: {verdict}"
    )
    idle = max(parent_cpu, (parent_cpu + worker_cpu) / args.workers)
    print(
        f"  CPU: this process {parent_cpu:.1f} s (build, insert), workers {worker_cpu:.1f} s "
        f"(sign); on {args.workers} otherwise idle cores about {idle:.1f} s"
    )
    elapsed, cpu = bench_batch(setup, args.awards, args.workers)
    print(
        f"  signing alone: {args.awards} awards built and signed on {args.workers} processes in "
        f"{elapsed:.1f} s ({args.awards / elapsed:.0f}/s)"
    )
    print(
        f"  worker CPU {cpu:.1f} s = {1000 * cpu / args.awards:.2f} ms per award; on "
        f"{args.workers} otherwise idle cores that is {cpu / args.workers:.1f} s"
    )

    if args.no_js:
        return 0
    peer = bench_js_peer(setup, signed, args.js_rounds)
    if "skipped" in peer:
        print(f"\nJS peer not run: {peer['skipped']}")
        return 0
    print(
        f"\nJS peer (Digital Bazaar vc / eddsa-rdfc-2022, node {peer['node']}), same credentials:"
    )
    print(f"  accepted {peer['verified']} of {len(signed)}")
    py_wall = n / f["verify_wall"]
    py_cpu = n / f["verify_cpu"]
    print(f"  JS verified/s          {peer['perSecond']:8.1f}  [{peer['perCpuSecond']:.1f}]")
    print(f"  Python verified/s      {py_wall:8.1f}  [{py_cpu:.1f}]")
    print(
        f"  ratio Python / JS      {py_wall / peer['perSecond']:8.2f}  "
        f"[{py_cpu / peer['perCpuSecond']:.2f}]  (target >= 1)"
    )
    if peer["failed"]:
        print(f"  INTEROPERABILITY FAILURE: {peer['failed']} rejected, e.g. {peer['errors'][:1]}")
        return 1
    if ISSUED.get("credentials"):
        issued = run_js_peer(
            ISSUED["did_document"], ISSUED["status_lists"], ISSUED["credentials"], 1, ISSUED["now"]
        )
        if "skipped" in issued:
            print(f"  JS peer on the tool's own awards not run: {issued['skipped']}")
            return 0
        print(
            f"  awards issued by the tool's batch (database, did:web, status list): JS peer "
            f"accepted {issued['verified']} of {len(ISSUED['credentials'])}"
        )
        if issued["failed"]:
            print(f"  INTEROPERABILITY FAILURE: e.g. {issued['errors'][:1]}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
