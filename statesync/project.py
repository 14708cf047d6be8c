"""Open a project and connect it to its provider: the I/O edges around the pure core.

Everything that can be validated (statesync.yaml, every manifest, the lockfile, the
environment) is validated here before a single request is sent. This module and
``config`` are the only ones that read the environment.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from statesync.config import CONFIG_NAME, ProjectConfig, load_config
from statesync.errors import ConfigError, PageAccessError
from statesync.lockfile import LockStore, load_lockfile
from statesync.lockset import LockSet, is_template
from statesync.manifest import load_desired
from statesync.model import Desired, PostFields, RecordedPage
from statesync.plan import Plan
from statesync.planner import Live, make_plan
from statesync.progress import ProgressFactory, no_progress
from statesync.providers.base import Access, Lister, Reader, ReaderLister, Writer
from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider, PullRefused
from statesync.providers.pacing import Pacer, PacingPolicy
from statesync.providers.retry import RetryPolicy
from statesync.recovery import Settled, recover
from statesync.safety import ApplyLockedError, hold_apply_lock
from statesync.secret import Secret, token_problem

log = logging.getLogger(__name__)

GRAPH_URL = "https://graph.facebook.com"
GRAPH_URL_ENV = "STATESYNC_GRAPH_URL"  # how tests and benchmarks point at an emulator
ONEALL_URL_ENV = "STATESYNC_ONEALL_URL"


@dataclass(frozen=True, slots=True)
class Project:
    config: ProjectConfig
    desired: Desired  # the selected manifests only (--only)
    lock: LockStore  # the whole lockfile: apply writes entries of selected pages only
    scope: frozenset[str] | None = None  # page ids selected by --only; None: all
    busy: bool = False  # another run holds the apply lock: look, never write
    scope_names: tuple[str, ...] | None = None  # the manifests --only selected

    def recorded(self) -> dict[str, RecordedPage]:
        """The lockfile's pages in scope: what this run may plan and touch."""
        return {
            page_id: page
            for page_id, page in self.lock.pages.items()
            if self.scope is None or page_id in self.scope
        }


@dataclass(frozen=True, slots=True)
class Connection:
    writer: Writer
    reader: Reader | None
    lister: Lister | None  # lists a page's recent posts, to settle lost pushes
    banner: str | None  # said first by every plan and apply, e.g. on the sandbox


@dataclass(frozen=True, slots=True)
class Planned:
    plan: Plan
    live: Live | None  # what the plan was made from, for a saved plan's guards
    settled: tuple[Settled, ...] = ()  # lost pushes recovery adopted or cleared
    access_unchecked: bool = False  # the writer cannot check access beforehand


@dataclass(frozen=True, slots=True)
class _Endpoints:
    """Where the APIs are and with which credentials, real or sandbox."""

    graph_url: str
    graph_token: Secret | None
    app_secret: Secret | None
    oneall: _OneAllEndpoint | None  # with provider oneall
    banner: str | None


@dataclass(frozen=True, slots=True)
class _OneAllEndpoint:
    url: str
    public_key: Secret
    private_key: Secret
    identity_token: Secret


@contextmanager
def open_project(
    root: Path, *, only: str | None = None, read_only_if_busy: bool = False
) -> Iterator[Project]:
    """The project, loaded while holding its apply lock, with what an earlier run
    left behind (a 0.1 journal, temp files of a killed write) folded in first.

    Every command that acts on the lockfile goes through here: a plan saved while an
    apply runs would be made from a state that apply is changing, and could publish
    its posts a second time. A plan that is only shown may look while an apply runs
    (``read_only_if_busy``): the project is then marked ``busy`` and nothing is folded.
    """
    config = load_config(root)
    with ExitStack() as stack:
        try:
            stack.enter_context(hold_apply_lock(config.lockfile))
            busy = False
        except ApplyLockedError as locked:
            if not (read_only_if_busy and locked.held_by_another):
                raise
            busy = True
        project = load_project(root, only=only, config=config)
        if busy:
            yield replace(project, busy=True)
            return
        project.lock.fold()
        yield project


def load_project(
    root: Path, *, only: str | None = None, config: ProjectConfig | None = None
) -> Project:
    """Load and validate everything; ``only`` selects manifests by glob (sharding).

    The whole project is validated even with ``only``: a shard must not apply on top
    of a manifest error elsewhere, nor miss a page id claimed twice. Read-only: the
    lockfile is not written (``open_project`` is for commands that act).
    """
    config = config or load_config(root)
    desired = load_desired(config.manifests)
    lock = load_lockstore(config.lockfile)
    if only is None:
        return Project(config=config, desired=desired, lock=lock)
    relative = _relative_dir(config.manifests, config.root)
    names = {pid: Path(page.location.file).name for pid, page in desired.pages.items()}
    names.update(
        {
            pid: f"{page.manifest}{suffix}"
            for pid, page in lock.pages.items()
            if pid not in desired.pages
            for suffix in (".yaml", ".yml")
            if _matches(f"{page.manifest}{suffix}", relative, only)
        }
    )
    scope = frozenset(
        pid for pid, name in names.items() if _matches(name, relative, only)
    )
    if not scope:
        raise ConfigError(_matches_nothing(only, sorted(set(names.values()))))
    selected = Desired(
        pages={pid: page for pid, page in desired.pages.items() if pid in scope}
    )
    stems = {pid: page.stem for pid, page in desired.pages.items()}
    stems.update({pid: p.manifest for pid, p in lock.pages.items() if pid not in stems})
    return Project(
        config=config,
        desired=selected,
        lock=lock,
        scope=scope,
        scope_names=tuple(sorted({stems[pid] for pid in scope})),
    )


def _matches_nothing(only: str, names: Sequence[str]) -> str:
    """A filter that matches nothing would plan "No changes." and hide a typo."""
    shown = ", ".join(names[:20]) + (
        f" and {len(names) - 20} more" if len(names) > 20 else ""
    )
    return (
        f"--only {only!r} matches no manifest; nothing was planned. The project's "
        f"manifests: {shown or '(none)'}. A glob matches a file name "
        "(acme-*.yaml) or its path from the project (pages/acme-*.yaml)."
    )


def group_by_project(paths: Sequence[Path]) -> dict[Path, list[Path]]:
    """The project each path belongs to (the nearest directory at or above it with
    statesync.yaml), with the paths given for it, in order."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        start = path if path.is_dir() else path.parent
        root = next(
            (
                d
                for d in (start, *start.resolve().parents)
                if (d / CONFIG_NAME).is_file()
            ),
            None,
        )
        if root is None:
            raise ConfigError(
                f"{path}: not inside a statesync project (no {CONFIG_NAME} in its "
                "directory or above)"
            )
        groups.setdefault(root, []).append(path)
    return groups


def check_manifest_paths(config: ProjectConfig, paths: Sequence[Path]) -> None:
    """Files given to validate must be the project's own: a manifest (inside its
    manifests directory), statesync.yaml, or a folder of the project."""
    manifests = config.manifests.resolve()
    for path in paths:
        resolved = path.resolve()
        if path.is_dir() or resolved == (config.root / CONFIG_NAME).resolve():
            continue
        if not resolved.is_relative_to(manifests):
            raise ConfigError(
                f"{path}: not a manifest of the project in {config.root} (its "
                f"manifests are in {_relative_dir(config.manifests, config.root)}/)"
            )


def load_lockstore(path: Path) -> LockStore:
    """One lockfile, or one per manifest when the name holds ``{manifest}``."""
    if is_template(path):
        return LockSet.load(path)
    return load_lockfile(path)


def _relative_dir(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def _matches(name: str, manifests_dir: str, glob: str) -> bool:
    """A glob matches a manifest's file name or its path from the project root."""
    return fnmatch.fnmatchcase(name, glob) or fnmatch.fnmatchcase(
        f"{manifests_dir}/{name}", glob
    )


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
            ends = _Endpoints(
                graph_url=box.url,
                graph_token=box.user_token,
                app_secret=None,
                oneall=_OneAllEndpoint(box.url, *box.oneall_keys)
                if project.config.provider == "oneall"
                else None,
                banner=box.banner(),
            )
        else:
            ends = _endpoints_from(project.config, environ)
        writer, reader = _providers(project.config, ends, stack)
        yield Connection(
            writer=writer, reader=reader, lister=reader, banner=ends.banner
        )


def _endpoints_from(config: ProjectConfig, environ: Mapping[str, str]) -> _Endpoints:
    graph_token = _secret(environ, config.graph.token_env)
    oneall = None
    if config.provider == "oneall":
        oneall_url = environ.get(ONEALL_URL_ENV) or config.oneall.site
        if not oneall_url:
            raise ConfigError(
                "provider oneall needs the OneAll site: set oneall.site in "
                "statesync.yaml (https://<subdomain>.api.oneall.com)"
            )
        settings = config.oneall
        oneall = _OneAllEndpoint(
            oneall_url,
            _required(environ, settings.public_key_env, "the OneAll site's public key"),
            _required(
                environ, settings.private_key_env, "the OneAll site's private key"
            ),
            _required(
                environ,
                settings.identity_token_env,
                "the OneAll identity token of the user's Facebook login",
            ),
        )
        if settings.read == "graph" and graph_token is None:
            _required(
                environ, config.graph.token_env, "a Graph token (oneall.read: graph)"
            )
    elif graph_token is None:
        _required(
            environ, config.graph.token_env, "a Facebook user or page access token"
        )
    return _Endpoints(
        graph_url=environ.get(GRAPH_URL_ENV) or GRAPH_URL,
        graph_token=graph_token,
        app_secret=_secret(environ, config.graph.app_secret_env),
        oneall=oneall,
        banner=None,
    )


def _providers(
    config: ProjectConfig, ends: _Endpoints, stack: ExitStack
) -> tuple[Writer, ReaderLister | None]:
    """The writer, and the reader that also lists pages for crash recovery."""
    retry = RetryPolicy(
        attempts=config.retries.attempts,
        max_total_s=config.retries.max_total_s,
        max_wait_s=config.retries.max_wait_s,
    )
    graph = None
    if ends.graph_token is not None and (
        config.provider == "graph" or config.oneall.read in ("auto", "graph")
    ):
        graph = stack.enter_context(
            GraphProvider(
                base_url=ends.graph_url,
                api_version=config.graph.api_version,
                token=ends.graph_token,
                app_secret=ends.app_secret,
                retry=retry,
                # No single rate-limit wait, pacing included, exceeds max_wait_s.
                pacer=Pacer(
                    PacingPolicy(max_delay_s=min(30.0, config.retries.max_wait_s))
                ),
            )
        )
    if ends.oneall is None:
        if graph is None:
            raise ConfigError("provider graph needs a Graph access token")
        return graph, graph
    oneall = stack.enter_context(
        OneAllProvider(
            base_url=ends.oneall.url,
            public_key=ends.oneall.public_key,
            private_key=ends.oneall.private_key,
            identity_token=ends.oneall.identity_token,
            retry=retry,
            may_pull=config.oneall.read != "none",
        )
    )
    # Reading, in order of preference: the Graph reader (drift seen exactly as with
    # provider graph), OneAll's Pull API, or nothing (plan from recorded hashes).
    if config.oneall.read == "none":
        return oneall, None
    if config.oneall.read == "pull" or graph is None:
        return oneall, oneall
    return oneall, graph


def _secret(environ: Mapping[str, str], name: str) -> Secret | None:
    """The credential in ``name``, None when unset. A malformed one fails here, before
    any request, naming the variable but never the value (issue 19): sent anyway, it
    would end as a network failure, or percent-encoded in a URL in ``-v`` logs."""
    value = environ.get(name, "").strip()
    if not value:
        return None
    problem = token_problem(value)
    if problem is not None:
        raise ConfigError(
            f"{name} is malformed: its value holds {problem}, and a token or key is "
            "printable ASCII without spaces (the value is not shown). Copy it again "
            f"into {name}, without line breaks or spaces."
        )
    return Secret(value)


def _required(environ: Mapping[str, str], name: str, what: str) -> Secret:
    secret = _secret(environ, name)
    if secret is None:
        raise ConfigError(
            f"{name} is not set: export {what} in {name} (see README, 'Connecting a "
            "real page'), or run on the sandbox with --sandbox."
        )
    return secret


READ_CHUNK = 50  # PROTOCOL §5: a batch holds at most 50 requests


def read_posts(
    reader: Reader | None,
    wanted: Mapping[str, Sequence[str]],
    *,
    parallelism: int = 1,
    progress: ProgressFactory = no_progress,
) -> Live | None:
    """Live fields of ``{page id: [post ids]}``; None when there is no way to read.

    Reads go in chunks of up to 50 ids (one batch request each), up to
    ``parallelism`` in flight. A Pull API that refuses to read is not an error: the
    plan is then made from the recorded hashes, and says that drift cannot be seen.
    """
    if reader is None:
        return None
    chunks = [
        (page_id, list(ids[start : start + READ_CHUNK]))
        for page_id, ids in sorted(wanted.items())
        for start in range(0, len(ids), READ_CHUNK)
    ]
    live: dict[str, PostFields | None] = {}
    total = sum(len(ids) for _, ids in chunks)
    try:
        workers = max(1, min(parallelism, len(chunks)))
        with (
            progress("Reading live posts", total) as advance,
            ThreadPoolExecutor(max_workers=workers) as pool,
        ):
            for result in pool.map(lambda chunk: reader.read(*chunk), chunks):
                live.update(result)
                advance(len(result))
    except PullRefused as exc:
        log.warning("cannot read live posts, planning without them: %s", exc)
        return None
    return live


def plan_project(
    project: Project,
    connection: Connection,
    *,
    save_recovery: bool = False,
    parallelism: int = 1,
    progress: ProgressFactory = no_progress,
) -> Planned:
    """Settle lost pushes, read every recorded post the manifests still want, plan.

    Recovery changes the lockfile in memory; apply (``save_recovery``) writes it at
    once, so that an adopted post is recorded even if nothing else happens.
    """
    # A busy project's pending pushes may be in flight right now: not ours to settle.
    settled = [] if project.busy else settle(project, connection, save=save_recovery)
    recorded = project.recorded()
    in_scope = set(project.desired.pages) | set(recorded)
    if connection.reader is not None:
        _preflight(project, connection.reader, dict.fromkeys(in_scope, "read"))
    # Every recorded post in scope: kept ones to diff, dropped ones to show what a
    # delete deletes.
    wanted = {
        page_id: [record.post_id for _, record in sorted(page.posts.items())]
        for page_id, page in recorded.items()
    }
    live = read_posts(
        connection.reader, wanted, parallelism=parallelism, progress=progress
    )
    plan = make_plan(project.desired, recorded, live, connection.writer.in_place_fields)
    unchecked = check_writes(project, connection, plan)
    return Planned(
        plan=replace(plan, scope=project.scope_names),
        live=live,
        settled=tuple(settled),
        access_unchecked=unchecked,
    )


def check_writes(project: Project, connection: Connection, plan: Plan) -> bool:
    """Every page the plan writes to must be writable with these credentials, checked
    before the first write (plan, and apply of a saved plan). True when the writer
    cannot tell beforehand."""
    writes: dict[str, Access] = {action.page_id: "write" for action in plan.actions}
    return _preflight(project, connection.writer, writes)


def _preflight(
    project: Project, provider: Reader | Writer, pages: Mapping[str, Access]
) -> bool:
    """Refuse, before anything is written, pages the credentials cannot act on:
    a plan that says "3 to push" must not fail halfway through its apply. True when
    the provider cannot tell beforehand."""
    if not pages:
        return False
    problems = provider.check_access(pages)
    if problems is None:
        return True
    if problems:
        raise PageAccessError(
            [(_page_where(project, page_id), why) for page_id, why in problems.items()]
        )
    return False


def _page_where(project: Project, page_id: str) -> str:
    """How a message names a page: its manifest file and stem, or its lockfile entry."""
    page = project.desired.pages.get(page_id)
    if page is not None:
        return f"{page.location.file}: page {page_id} ({page.stem})"
    recorded = project.lock.pages.get(page_id)
    stem = recorded.manifest if recorded else "?"
    return f"page {page_id} ({stem}, in the lockfile)"


def settle(
    project: Project, connection: Connection, *, save: bool = True
) -> list[Settled]:
    """Settle the pushes an interrupted run left as intents (statesync.recovery)."""
    settled = recover(project.lock, connection.lister, project.scope)
    if settled and save:
        project.lock.save()
    return settled


def read_touched(
    plan: Plan, reader: Reader | None, *, parallelism: int = 1
) -> Live | None:
    """Live fields of every post a plan acts on, to check a saved plan is not stale."""
    wanted: dict[str, list[str]] = {}
    for action in plan.actions:
        if action.post_id:
            wanted.setdefault(action.page_id, []).append(action.post_id)
    return read_posts(reader, wanted, parallelism=parallelism)
