"""Connect a loaded project to its provider: where the APIs are, with which
credentials (from the environment, checked before any request), real or sandbox.

The only module besides ``config`` that reads the environment.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from statesync.clock import NOW_ENV, Clock, clock_from
from statesync.config import ProjectConfig
from statesync.errors import ConfigError
from statesync.media import MediaFile
from statesync.project import Project
from statesync.providers.base import (
    Lister,
    PageEditor,
    Reader,
    ReaderLister,
    Writer,
)
from statesync.providers.graph import GraphProvider
from statesync.providers.oneall import OneAllProvider
from statesync.providers.pacing import Pacer, PacingPolicy
from statesync.providers.retry import RetryPolicy
from statesync.providers.router import TargetRouter
from statesync.secret import Secret, token_problem
from statesync.targets import Network, network_of

# How a message names each network's login.
NETWORK_LOGINS = {
    Network.TWITTER: "X",
    Network.LINKEDIN: "LinkedIn",
    Network.PINTEREST: "Pinterest",
}

GRAPH_URL = "https://graph.facebook.com"


GRAPH_URL_ENV = "STATESYNC_GRAPH_URL"  # how tests and benchmarks point at an emulator


ONEALL_URL_ENV = "STATESYNC_ONEALL_URL"


@dataclass(frozen=True, slots=True)
class Connection:
    writer: Writer
    reader: Reader | None
    lister: Lister | None  # lists a page's recent posts, to settle lost pushes
    banner: str | None  # said first by every plan and apply, e.g. on the sandbox
    # Reads and writes pages' own details and settings: the Graph provider wherever
    # a Graph token is configured (OneAll has no page-details API); None without.
    editor: PageEditor | None = None
    # "Now" for every decision about time: the system clock, or STATESYNC_NOW.
    clock: Clock = time.time


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
    identity_token: Secret | None  # the Facebook login's; None: no Facebook page
    identities: Mapping[Network, Secret] = field(default_factory=dict)


@contextmanager
def connect(
    project: Project, *, sandbox: bool | None, environ: Mapping[str, str]
) -> Iterator[Connection]:
    """The provider the project asks for; ``sandbox`` overrides statesync.yaml."""
    use_sandbox = project.config.sandbox if sandbox is None else sandbox
    clock = clock_from(environ)  # a bad STATESYNC_NOW fails before any request
    networks = _networks(project)
    with ExitStack() as stack:
        if use_sandbox:
            from statesync.sandbox import run_sandbox  # starts a server: only on demand

            box = stack.enter_context(
                run_sandbox(project.config.root, project.desired, environ.get(NOW_ENV))
            )
            ends = _Endpoints(
                graph_url=box.url,
                graph_token=box.user_token,
                app_secret=None,
                oneall=_OneAllEndpoint(
                    box.url, *box.oneall_keys, identities=box.identities
                )
                if project.config.provider == "oneall" or networks - {Network.FACEBOOK}
                else None,
                banner=box.banner(),
            )
        else:
            ends = _endpoints_from(project.config, environ, networks)
        files = {
            key: media
            for page in project.desired.pages.values()
            for key, media in page.media.items()
        }
        writer, reader, editor = _providers(project.config, ends, stack, files)
        yield Connection(
            writer=writer,
            reader=reader,
            lister=reader,
            banner=ends.banner,
            editor=editor,
            clock=clock,
        )


def _networks(project: Project) -> set[Network]:
    """The networks the run publishes to: its manifests and its lockfile, within
    ``--only`` (a shard of Facebook pages needs no X login)."""
    # A target no post goes to needs no login (a post's ``targets:`` may leave it).
    keys = {key for key, page in project.desired.pages.items() if page.posts}
    keys |= set(project.lock.pages)
    if project.scope is not None:
        keys &= project.scope
    return {network_of(key) for key in keys}


def _endpoints_from(
    config: ProjectConfig, environ: Mapping[str, str], networks: set[Network]
) -> _Endpoints:
    graph_token = _secret(environ, config.graph.token_env)
    if config.provider == "graph" and graph_token is None:
        _required(
            environ, config.graph.token_env, "a Facebook user or page access token"
        )
    oneall = None
    # OneAll publishes to the other networks, with either provider.
    if config.provider == "oneall" or networks - {Network.FACEBOOK}:
        oneall_url = environ.get(ONEALL_URL_ENV) or config.oneall.site
        if not oneall_url:
            who = (
                "provider oneall"
                if config.provider == "oneall"
                else "publishing to X, LinkedIn or Pinterest"
            )
            raise ConfigError(
                f"{who} needs the OneAll site: set oneall.site in statesync.yaml "
                "(https://<subdomain>.api.oneall.com)"
            )
        settings = config.oneall
        facebook = config.provider == "oneall" and (
            Network.FACEBOOK in networks or networks == set()
        )
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
            )
            if facebook
            else None,
            identities={
                network: _required(
                    environ,
                    settings.identities[network],
                    f"the OneAll identity token of the {NETWORK_LOGINS[network]} "
                    "login (oneall.identities in statesync.yaml names the variable)",
                )
                for network in sorted(networks - {Network.FACEBOOK})
            },
        )
        if settings.read == "graph" and graph_token is None:
            _required(
                environ, config.graph.token_env, "a Graph token (oneall.read: graph)"
            )
    return _Endpoints(
        graph_url=environ.get(GRAPH_URL_ENV) or GRAPH_URL,
        graph_token=graph_token,
        app_secret=_secret(environ, config.graph.app_secret_env),
        oneall=oneall,
        banner=None,
    )


def _providers(
    config: ProjectConfig,
    ends: _Endpoints,
    stack: ExitStack,
    files: Mapping[str, MediaFile],
) -> tuple[Writer, ReaderLister | None, PageEditor | None]:
    """The writer; the reader that also lists pages for crash recovery; and the
    editor of pages' details (the Graph provider, with any Graph token)."""
    retry = RetryPolicy(
        attempts=config.retries.attempts,
        max_total_s=config.retries.max_total_s,
        max_wait_s=config.retries.max_wait_s,
    )
    graph = None
    if ends.graph_token is not None:  # it sends nothing until it is used
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
        return graph, graph, graph
    oneall = stack.enter_context(
        OneAllProvider(
            base_url=ends.oneall.url,
            public_key=ends.oneall.public_key,
            private_key=ends.oneall.private_key,
            identity_token=ends.oneall.identity_token,
            identities=ends.oneall.identities,
            files=files,
            retry=retry,
            may_pull=config.oneall.read != "none",
        )
    )
    if config.provider == "graph":  # OneAll for the other networks alone
        if graph is None:  # pragma: no cover - _endpoints_from requires the token
            raise ConfigError("provider graph needs a Graph access token")
        return TargetRouter(graph, oneall), graph, graph
    # Reading, in order of preference: the Graph reader (drift seen exactly as with
    # provider graph), OneAll's Pull API, or nothing (plan from recorded hashes).
    if config.oneall.read == "none":
        return oneall, None, graph
    if config.oneall.read == "pull" or graph is None:
        return oneall, oneall, graph
    return oneall, graph, graph


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
