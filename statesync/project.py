"""Open a project and connect it to its provider: the I/O edges around the pure core.

Everything that can be validated (statesync.yaml, every manifest, the lockfile, the
environment) is validated here before a single request is sent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from statesync.config import ProjectConfig, load_config
from statesync.errors import ConfigError
from statesync.lockfile import Lockfile, load_lockfile
from statesync.manifest import load_desired
from statesync.model import Desired, PostFields
from statesync.plan import Plan
from statesync.planner import Live, make_plan
from statesync.providers.base import Reader, Writer
from statesync.providers.graph import GraphProvider
from statesync.secret import Secret

GRAPH_URL = "https://graph.facebook.com"
GRAPH_URL_ENV = "STATESYNC_GRAPH_URL"  # how tests and benchmarks point at an emulator


@dataclass(frozen=True, slots=True)
class Project:
    config: ProjectConfig
    desired: Desired
    lock: Lockfile


@dataclass(frozen=True, slots=True)
class Connection:
    writer: Writer
    reader: Reader | None
    banner: str | None  # said first by every plan and apply, e.g. on the sandbox


def load_project(root: Path) -> Project:
    config = load_config(root)
    desired = load_desired(config.manifests)
    return Project(config=config, desired=desired, lock=load_lockfile(config.lockfile))


@contextmanager
def connect(
    project: Project, *, sandbox: bool | None, environ: Mapping[str, str]
) -> Iterator[Connection]:
    """The provider the project asks for; ``sandbox`` overrides statesync.yaml."""
    use_sandbox = project.config.sandbox if sandbox is None else sandbox
    with ExitStack() as stack:
        if use_sandbox:
            from statesync.sandbox import run_sandbox  # starts a server: only on demand

            box = stack.enter_context(run_sandbox(project.config.root, project.desired))
            base_url, token, banner = box.url, box.user_token, box.banner()
            app_secret = None
        else:
            base_url = environ.get(GRAPH_URL_ENV) or GRAPH_URL
            token = _secret_from(environ, project.config.graph.token_env, required=True)
            app_secret = _secret_from(
                environ, project.config.graph.app_secret_env, required=False
            )
            banner = None
        provider = stack.enter_context(
            GraphProvider(
                base_url=base_url,
                api_version=project.config.graph.api_version,
                token=token,
                app_secret=app_secret,
            )
        )
        yield Connection(writer=provider, reader=provider, banner=banner)


def _secret_from(
    environ: Mapping[str, str], name: str, *, required: bool
) -> Secret | None:
    value = environ.get(name, "").strip()
    if value:
        return Secret(value)
    if required:
        raise ConfigError(
            f"{name} is not set: export a Facebook user or page access token in "
            f"{name} (see README, 'Connecting a real page'), or run on the sandbox "
            "with --sandbox."
        )
    return None


def read_live(project: Project, reader: Reader | None) -> Live | None:
    """Live fields of every recorded post the manifests still want, page by page."""
    if reader is None:
        return None
    live: dict[str, PostFields | None] = {}
    for page_id, page in sorted(project.lock.pages.items()):
        wanted = project.desired.pages.get(page_id)
        if wanted is None:
            continue
        ids = [
            record.post_id for key, record in page.posts.items() if key in wanted.posts
        ]
        if ids:
            live.update(reader.read(page_id, ids))
    return live


def plan_project(project: Project, connection: Connection) -> Plan:
    return make_plan(
        project.desired,
        project.lock.pages,
        read_live(project, connection.reader),
        connection.writer.in_place_fields,
    )
