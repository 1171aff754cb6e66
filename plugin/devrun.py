"""`make run`: the tool and the dev LMS on one machine, registered to each other, with the sample
courses published and every module placed on the dev LMS course page.

    python -m plugin.devrun [--tool-port 5000] [--lms-port 5001] [--instance ./instance]

The tool answers at http://localhost:<tool port> and the dev LMS at http://127.0.0.1:<lms port>:
two sites, so the tool's iframe is cross-site as in a real LMS. Everything lives in the instance
folder (SQLite files, the generated secret and keys); a second run reuses it and changes nothing
it does not need to. `plugin.preview` reuses the steps for `microcred preview`.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from flask import Flask
from werkzeug.serving import BaseWSGIServer

from .localserver import make_local_server

log = logging.getLogger(__name__)

#: The dev LMS's client_id and deployment for the tool (as tests/plugin/conftest.py uses).
CLIENT_ID = "microcred-dev"
DEPLOYMENT_ID = "1"
SAMPLES = Path(__file__).resolve().parent.parent / "content_samples"


@dataclass(frozen=True)
class DevRunConfig:
    """Where the two apps run and keep their files."""

    instance: Path
    tool_port: int = 5000
    lms_port: int = 5001
    bind: str = "127.0.0.1"
    start_worker: bool = True
    extra_config: dict[str, Any] = field(default_factory=dict)

    @property
    def tool_url(self) -> str:
        return f"http://localhost:{self.tool_port}"

    @property
    def lms_url(self) -> str:
        return f"http://127.0.0.1:{self.lms_port}"


def sample_folders(root: Path = SAMPLES) -> list[Path]:
    """The sample course folders (those with a course.yml), in name order."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / "course.yml").is_file())


def create_tool(config: DevRunConfig) -> Flask:
    """The tool app on the instance folder (SQLite unless DATABASE_URL says otherwise)."""
    from . import create_app

    values: dict[str, Any] = {
        "INSTANCE_PATH": str(config.instance),
        "PUBLIC_URL": config.tool_url,
        "START_WORKER": "true" if config.start_worker else "false",
    }
    values.update(config.extra_config)
    return create_app(values)


def prepare_tool(tool: Flask, config: DevRunConfig) -> None:
    """Migrate, make the first signing key and register the dev LMS (idempotent)."""
    from flask_migrate import upgrade

    from .extensions import db
    from .lti import services
    from .lti.keys import current_tool_key

    with tool.app_context():
        upgrade()
        current_tool_key()
        lms = config.lms_url
        if services.find_registration(lms, CLIENT_ID) is None:
            services.create_registration(
                issuer=lms,
                client_id=CLIENT_ID,
                name="dev LMS",
                product="generic",
                auth_login_url=f"{lms}/auth",
                auth_token_url=f"{lms}/token",
                key_set_url=f"{lms}/jwks",
                deployment_ids=[DEPLOYMENT_ID],
            )
            log.info("registered the dev LMS %s with the tool", lms)
        db.session.commit()


@dataclass(frozen=True)
class Loaded:
    """One course folder after build and publish: its course data, or why it was refused."""

    folder: Path
    course: dict[str, Any] | None
    created: bool
    problems: tuple[str, ...]


def load_courses(tool: Flask, folders: Iterable[Path]) -> list[Loaded]:
    """Build and publish each folder into the tool's catalog (unchanged versions are kept)."""
    from .catalog.services import load_course_folders
    from .extensions import db

    out: list[Loaded] = []
    with tool.app_context():
        for load in load_course_folders(list(folders), published_by="make run"):
            lines = tuple(f"{load.folder}/{d.format()}" for d in load.diagnostics)
            if load.result is None:
                out.append(Loaded(load.folder, None, False, (load.error, *lines)))
            else:
                course = dict(load.result.version.course)
                out.append(Loaded(load.folder, course, load.result.created, lines))
        db.session.commit()
    return out


def create_lms(config: DevRunConfig) -> Flask:
    """The dev LMS app, its database in the instance folder, the tool registered as client
    microcred-dev (deployment 1)."""
    from .devlms import create_devlms_app

    return create_devlms_app(
        {
            "DEVLMS_PUBLIC_URL": config.lms_url,
            "DEVLMS_DATABASE": str(config.instance / "devlms.sqlite3"),
            "DEVLMS_TOOL_URL": config.tool_url,
        }
    )


def place_modules(tool: Flask, lms: Flask, courses: Sequence[dict[str, Any]]) -> list[Any]:
    """Put every module of `courses` on the dev LMS course page, as deep linking would: the
    module's launch URL, custom course_id/module_id and its line item (idempotent by URL)."""
    from .catalog.placement import module_item
    from .devlms import add_placement

    placements = []
    with tool.app_context():
        items = [module_item(c, m) for c in courses for m in c.get("modules") or []]
    for item in items:
        line_item = None
        if item.line_item is not None:
            spec = item.line_item
            line_item = {
                "label": spec.label or item.title,
                "scoreMaximum": spec.score_maximum,
                "resourceId": spec.resource_id,
                "tag": spec.tag,
            }
        placements.append(
            add_placement(
                lms,
                item.title,
                item.url,
                custom=dict(item.custom),
                line_item=line_item,
                client_id=CLIENT_ID,
                text=item.text,
            )
        )
    return placements


@dataclass
class Servers:
    """The two live servers, each in a thread."""

    servers: list[BaseWSGIServer]
    threads: list[threading.Thread]

    def stop(self) -> None:
        for server in self.servers:
            server.shutdown()
        for thread in self.threads:
            thread.join(timeout=10)
        for server in self.servers:
            server.server_close()


class PortInUse(click.ClickException):
    """A port the command needs is taken."""


def _server(app: Flask, bind: str, port: int, what: str) -> BaseWSGIServer:
    try:
        return make_local_server(bind, port, app)
    except (OSError, SystemExit) as exc:  # werkzeug exits on EADDRINUSE in some versions
        raise PortInUse(
            f"port {port} for {what} is in use (is `make run` already running? "
            f"pick another with --tool-port / --lms-port)"
        ) from exc


def start_servers(config: DevRunConfig, tool: Flask, lms: Flask) -> Servers:
    """Listen on both ports (clear error when taken) and serve in background threads."""
    made = [_server(tool, config.bind, config.tool_port, "the tool")]
    try:
        made.append(_server(lms, config.bind, config.lms_port, "the dev LMS"))
    except PortInUse:
        made[0].server_close()
        raise
    threads = [
        threading.Thread(target=s.serve_forever, name=f"devrun-{s.port}", daemon=True) for s in made
    ]
    for thread in threads:
        thread.start()
    return Servers(made, threads)


def wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()

    def _stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop.wait(3600):
        pass


def welcome(config: DevRunConfig, placements: Sequence[Any]) -> str:
    """What a newcomer reads: where to click, as whom."""
    from .devlms import USERS

    lines = [
        "",
        f"microcred is ready: the tool at {config.tool_url}, the dev LMS at {config.lms_url}",
        "",
        f"Open {config.lms_url}/?as=grace and click a module to launch it as a student.",
        "Switch users on the course page (or with ?as=<name>):",
    ]
    for user in USERS:
        roles = ", ".join(
            r.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
            for r in (*user.context_roles, *user.institution_roles)
        )
        lines.append(f"  {user.handle:<10} {user.name} ({roles})")
    lines += [
        f"{len(placements)} modules are placed on the course page; instructors add more with "
        "'Add content'.",
        f"Files: {config.instance} (delete it to start afresh). Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


def console_logging(verbose: bool) -> dict[str, str]:
    """Readable logs for a terminal: text lines, warnings only unless `verbose` (LOG_FORMAT and
    LOG_LEVEL in the environment still win)."""
    return {
        "LOG_FORMAT": os.environ.get("LOG_FORMAT") or "text",
        "LOG_LEVEL": "INFO" if verbose else (os.environ.get("LOG_LEVEL") or "WARNING"),
    }


def _port(value: str | None, default: int) -> int:
    return int(value) if value else default


@click.command("run")
@click.option(
    "--tool-port",
    type=click.IntRange(1, 65535),
    default=lambda: _port(os.environ.get("MICROCRED_TOOL_PORT"), 5000),
    show_default="5000 or MICROCRED_TOOL_PORT",
    help="The tool's port (localhost).",
)
@click.option(
    "--lms-port",
    type=click.IntRange(1, 65535),
    default=lambda: _port(os.environ.get("MICROCRED_LMS_PORT"), 5001),
    show_default="5001 or MICROCRED_LMS_PORT",
    help="The dev LMS's port (127.0.0.1).",
)
@click.option(
    "--instance",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("MICROCRED_INSTANCE") or "instance",
    show_default="./instance or MICROCRED_INSTANCE",
    help="Folder for the databases, secret and keys.",
)
@click.option(
    "--samples/--no-samples",
    default=True,
    show_default=True,
    help="Publish and place the sample courses of content_samples/.",
)
@click.option("--verbose", is_flag=True, help="Log at INFO level (every request).")
def run_command(
    tool_port: int, lms_port: int, instance: Path, samples: bool, verbose: bool
) -> None:
    """Start the tool and the dev LMS with the sample courses, ready to launch."""
    if tool_port == lms_port:
        raise click.UsageError("--tool-port and --lms-port must differ")
    config = DevRunConfig(
        instance=instance.resolve(),
        tool_port=tool_port,
        lms_port=lms_port,
        extra_config=console_logging(verbose),
    )
    config.instance.mkdir(parents=True, exist_ok=True)
    tool = create_tool(config)
    prepare_tool(tool, config)
    courses: list[dict[str, Any]] = []
    if samples:
        for loaded in load_courses(tool, sample_folders()):
            for line in loaded.problems:
                click.echo(line, err=True)
            if loaded.course is not None:
                what = "published" if loaded.created else "unchanged"
                click.echo(f"{what} {loaded.course['id']} {loaded.course['version']}")
                courses.append(loaded.course)
    lms = create_lms(config)
    placements = place_modules(tool, lms, courses)
    servers = start_servers(config, tool, lms)
    click.echo(welcome(config, placements))
    sys.stdout.flush()
    try:
        wait_for_stop()
    finally:
        servers.stop()
        from .gradebook.worker import stop_worker_thread

        stop_worker_thread(tool, timeout=5)
        click.echo("stopped")


def port_is_free(port: int, bind: str = "127.0.0.1") -> bool:
    """Nobody listens on `port` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((bind, port)) != 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m plugin.devrun`."""
    try:
        run_command.main(args=argv, prog_name="python -m plugin.devrun", standalone_mode=False)
    except click.exceptions.Abort:
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
