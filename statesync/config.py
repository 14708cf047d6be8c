"""statesync.yaml: the project's settings, validated with every problem at once.

Settings name environment variables, never hold secrets: a token, key or password
written into the file is refused (DESIGN.md, "What never happens"). Paths are relative
to the project directory. This is one of the two modules that may know about the
environment, and it only learns the *names* of variables here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass, field
from pathlib import Path

from statesync.config_values import SettingsChecker, number
from statesync.errors import ConfigError, Problem
from statesync.normalize import split_url
from statesync.safety import SafetySettings
from statesync.times import DEFAULT_ZONE, TimeProblem, zone
from statesync.yamlcheck import display_path, secret_message
from statesync.yamlcheck import shown as quoted  # quotes a wrong word, never a token
from statesync.yamlnodes import Entry, Mapping, Scalar, describe

CONFIG_NAME = "statesync.yaml"
PROVIDERS = ("graph", "oneall")
ONEALL_READS = ("auto", "graph", "pull", "none")
# PROTOCOL §1: Graph versions are vNN.N; v26.0 is the newest in service.
API_VERSION = re.compile(r"v\d+\.\d+")
_EXAMPLE = """\
  provider: graph          # graph | oneall
  manifests: pages/        # one YAML file per page
  sandbox: true            # run on the embedded emulator, no account needed
"""


@dataclass(frozen=True, slots=True)
class GraphSettings:
    api_version: str = "v26.0"
    # Names of environment variables, not secrets (hence the noqa for ruff's S105).
    token_env: str = "FACEBOOK_ACCESS_TOKEN"  # noqa: S105 - a user or page token (seed 004)
    app_secret_env: str = "FACEBOOK_APP_SECRET"  # noqa: S105 - optional: appsecret_proof


# A variable name per network, as `oneall.identities` may rename them.
DEFAULT_IDENTITY_ENVS = {
    "twitter": "ONEALL_TWITTER_IDENTITY_TOKEN",
    "linkedin": "ONEALL_LINKEDIN_IDENTITY_TOKEN",
    "pinterest": "ONEALL_PINTEREST_IDENTITY_TOKEN",
}


@dataclass(frozen=True, slots=True)
class OneAllSettings:
    site: str | None = None  # https://{subdomain}.api.oneall.com (PROTOCOL §12)
    public_key_env: str = "ONEALL_PUBLIC_KEY"
    private_key_env: str = "ONEALL_PRIVATE_KEY"
    identity_token_env: str = "ONEALL_IDENTITY_TOKEN"  # noqa: S105 - a name
    # Where live fields come from: the Graph reader, OneAll's Pull API, nowhere (plan
    # from the lockfile's hashes), or "auto" (Graph when a token is set).
    read: str = "auto"
    # The other networks' logins (docs/oneall-networks.md): network -> the name of
    # the variable holding that login's identity token.
    identities: MappingOf[str, str] = field(
        default_factory=lambda: dict(DEFAULT_IDENTITY_ENVS)
    )


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How hard to retry transient API failures (statesync.providers.retry)."""

    attempts: int = 5  # in all, the first included
    max_total_s: float = 60.0  # retrying stops after this long
    # The longest time-to-regain-access (rate limits) waited out; beyond it, stop
    # at once and say when access returns.
    max_wait_s: float = 300.0


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """A project's settings; relative paths are taken relative to ``root``."""

    root: Path  # absolute when loaded
    provider: str = "graph"
    manifests: Path = Path("pages")
    lockfile: Path = Path("statesync.lock")
    sandbox: bool = False
    # The IANA zone that local date-times in manifests are read in (publish_at: 2026-
    # 12-01 08:00), and that plans show instants in beside UTC.
    timezone: str = DEFAULT_ZONE
    graph: GraphSettings = field(default_factory=GraphSettings)
    oneall: OneAllSettings = field(default_factory=OneAllSettings)
    safety: SafetySettings = field(default_factory=SafetySettings)
    retries: RetrySettings = field(default_factory=lambda: RetrySettings())

    def __post_init__(self) -> None:
        # statesync.yaml writes paths relative to the project, wherever statesync runs
        object.__setattr__(self, "manifests", self.root / self.manifests)
        object.__setattr__(self, "lockfile", self.root / self.lockfile)


def load_config(
    project_dir: Path, *, display_base: Path | None = None
) -> ProjectConfig:
    """Read ``project_dir/statesync.yaml``; raise one ``ConfigError`` listing every problem.

    An empty file (or one of only comments) means every default.
    """
    root = Path(os.path.abspath(project_dir))
    path = root / CONFIG_NAME
    if not path.is_file():
        where = "" if root.is_dir() else " (the directory does not exist either)"
        raise ConfigError(
            f"no {CONFIG_NAME} in {project_dir}{where}: statesync needs one to know "
            f"the project's settings. Create {path} with, for example:\n\n{_EXAMPLE}"
        )
    display = display_path(path, Path.cwd() if display_base is None else display_base)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{display}: not UTF-8 text") from exc
    except OSError as exc:
        raise ConfigError(f"{display}: cannot read: {exc.strerror}") from exc
    checker = _ConfigChecker(display)
    config = checker.config(text, root)
    if checker.problems:
        raise ConfigError(
            Problem.at(loc, message) for loc, message in set(checker.problems)
        )
    return config


@dataclass(frozen=True, slots=True)
class _ConfigChecker(SettingsChecker):
    """statesync.yaml section by section; each value's check is ``SettingsChecker``'s."""

    def config(self, text: str, root: Path) -> ProjectConfig:
        node = self.read(text, _secret_message).root
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return ProjectConfig(root=root)
        if not isinstance(node, Mapping):
            self.at(node.line, f"{CONFIG_NAME} must be a mapping, got {describe(node)}")
            return ProjectConfig(root=root)
        top = self.fields(node, _TOP_FIELDS, "")
        defaults = ProjectConfig(root=root)
        return ProjectConfig(
            root=root,
            provider=self.choice(top, "provider", PROVIDERS, defaults.provider),
            manifests=self.path(top, "manifests", Path("pages")),
            lockfile=self.path(top, "lockfile", Path("statesync.lock")),
            sandbox=self.flag(top, "sandbox", defaults.sandbox),
            timezone=self.timezone(top),
            graph=self.graph(top.get("graph")),
            oneall=self.oneall(top.get("oneall")),
            safety=self.safety(top.get("safety")),
            retries=self.retries(top.get("retries")),
        )

    def timezone(self, top: dict[str, Entry]) -> str:
        name = self.text(top, "timezone", DEFAULT_ZONE)
        try:
            zone(name)
        except TimeProblem as problem:
            self.at(top["timezone"].value.line, f"timezone: {problem}")
            return DEFAULT_ZONE
        return name

    def graph(self, entry: Entry | None) -> GraphSettings:
        values = self.section(entry, _GRAPH_FIELDS)
        defaults = GraphSettings()
        version = self.text(values, "api_version", defaults.api_version, "graph.")
        if "api_version" in values and not API_VERSION.fullmatch(version):
            node = values["api_version"].value
            self.at(
                node.line,
                f"graph.api_version must look like v26.0, got {quoted(node)}",
            )
            version = defaults.api_version
        return GraphSettings(
            api_version=version,
            token_env=self.env(values, "token_env", defaults.token_env, "graph."),
            app_secret_env=self.env(
                values, "app_secret_env", defaults.app_secret_env, "graph."
            ),
        )

    def oneall(self, entry: Entry | None) -> OneAllSettings:
        values = self.section(entry, _ONEALL_FIELDS)
        defaults = OneAllSettings()
        site: str | None = None
        if "site" in values:
            site = self.text(values, "site", "", "oneall.") or None
            if site is not None and not _is_site(site):
                node = values["site"].value
                self.at(
                    node.line,
                    "oneall.site must be the https:// URL of the OneAll site "
                    f"(https://acme.api.oneall.com), got {quoted(node)}",
                )
                site = None
        return OneAllSettings(
            site=site,
            public_key_env=self.env(
                values, "public_key_env", defaults.public_key_env, "oneall."
            ),
            private_key_env=self.env(
                values, "private_key_env", defaults.private_key_env, "oneall."
            ),
            identity_token_env=self.env(
                values, "identity_token_env", defaults.identity_token_env, "oneall."
            ),
            read=self.choice(values, "read", ONEALL_READS, defaults.read, "oneall."),
            identities=self.identities(values.get("identities")),
        )

    def identities(self, entry: Entry | None) -> dict[str, str]:
        values = self.section(entry, tuple(DEFAULT_IDENTITY_ENVS))
        return {
            network: self.env(values, network, default, "oneall.identities.")
            for network, default in DEFAULT_IDENTITY_ENVS.items()
        }

    def safety(self, entry: Entry | None) -> SafetySettings:
        values = self.section(entry, _SAFETY_FIELDS)
        defaults = SafetySettings()
        share = defaults.max_destroy_share
        if "max_destroy_share" in values:
            node = values["max_destroy_share"].value
            value = number(node)
            if value is not None and 0 <= value <= 1:  # NaN fails both comparisons
                share = float(value)
            else:
                self.at(
                    node.line,
                    "safety.max_destroy_share must be a number from 0 to 1, the share "
                    "of a page's managed posts one apply may delete or replace (0.3 "
                    f"for 30%), got {self.shown(node)}",
                )
        minimum = defaults.min_managed_posts
        if "min_managed_posts" in values:
            node = values["min_managed_posts"].value
            value = number(node)
            if isinstance(value, int) and value >= 1:
                minimum = value
            else:
                self.at(
                    node.line,
                    "safety.min_managed_posts must be a whole number of posts, 1 or "
                    f"more, got {self.shown(node)}",
                )
        return SafetySettings(max_destroy_share=share, min_managed_posts=minimum)

    def retries(self, entry: Entry | None) -> RetrySettings:
        values = self.section(entry, _RETRY_FIELDS)
        defaults = RetrySettings()
        found: dict[str, float] = {}
        for key, what, whole in (
            ("attempts", "a whole number of attempts, 1 or more", True),
            ("max_total_s", "a number of seconds, 0 or more", False),
            ("max_wait_s", "a number of seconds, 0 or more", False),
        ):
            if key not in values:
                continue
            node = values[key].value
            value = number(node)
            low = 1 if whole else 0
            if (
                value is not None
                and value >= low
                and (not whole or isinstance(value, int))
            ):
                found[key] = value
            else:
                self.at(
                    node.line, f"retries.{key} must be {what}, got {self.shown(node)}"
                )
        return RetrySettings(
            attempts=int(found.get("attempts", defaults.attempts)),
            max_total_s=float(found.get("max_total_s", defaults.max_total_s)),
            max_wait_s=float(found.get("max_wait_s", defaults.max_wait_s)),
        )


_TOP_FIELDS = (
    "provider",
    "manifests",
    "lockfile",
    "sandbox",
    "timezone",
    "graph",
    "oneall",
    "safety",
    "retries",
)
_SAFETY_FIELDS = ("max_destroy_share", "min_managed_posts")
_RETRY_FIELDS = ("attempts", "max_total_s", "max_wait_s")
_GRAPH_FIELDS = ("api_version", "token_env", "app_secret_env")
_ONEALL_FIELDS = (
    "site",
    "public_key_env",
    "private_key_env",
    "identity_token_env",
    "read",
    "identities",
)
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _is_site(text: str) -> bool:
    """PROTOCOL §12: OneAll is HTTPS only; plain HTTP only for a local emulator."""
    parts = split_url(text)
    if parts is None or not parts.hostname or any(ch.isspace() for ch in text):
        return False
    return parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in _LOOPBACK
    )


def _secret_message(key: str | None) -> str:
    """As any file says it, plus the setting that names the variable instead."""
    if key is None:
        return secret_message(key)
    name = key.strip().lower().replace("-", "_")
    setting = "token_env" if name == "access_token" else f"{name}_env"
    if setting not in _GRAPH_FIELDS + _ONEALL_FIELDS:
        setting = "a *_env setting"
    return (
        f"{secret_message(key)}; name the environment variable that holds it with "
        f"{setting}"
    )
