"""The seed file: users, tokens, pages, media and pre-existing posts.

Validated up front, with every problem reported at once, so a bad seed fails at start
with one clear message instead of as an odd API reply later.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from statesync.emulator.page_values import setting_problem
from statesync.emulator.seed_networks import (
    SeedIdentity,
    check_identity_tokens,
    parse_identities,
)

# seed 004: the tasks /me/accounts lists.
KNOWN_TASKS = frozenset(
    {"ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE", "MESSAGING"}
)
# seed 004: page details a page can carry (read with fields=..., set with POST /{page-id}).
PAGE_DETAIL_FIELDS = frozenset(
    {
        "about",
        "attire",
        "bio",
        "company_overview",
        "description",
        "emails",
        "founded",
        "general_info",
        "hours",
        "impressum",
        "location",
        "mission",
        "parking",
        "phone",
        "single_line_address",
        "username",
        "website",
    }
)
_PAGE_KEYS = frozenset(
    {"id", "name", "category", "category_list", "posts", "media", "settings"}
    | PAGE_DETAIL_FIELDS
)
_DIGITS = re.compile(r"^[0-9]{1,30}$")


class SeedError(ValueError):
    """Every problem in a seed, one per line, so that one edit fixes them all."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"invalid emulator seed {source}:\n{lines}")


@dataclass(frozen=True, slots=True)
class SeedRole:
    page_id: str
    token: str  # the page access token /me/accounts returns to this user
    tasks: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SeedUser:
    id: str
    name: str
    token: str
    oneall_identity_token: str | None
    roles: tuple[SeedRole, ...]
    oneall_identities: tuple[SeedIdentity, ...] = ()  # X, LinkedIn, Pinterest


@dataclass(frozen=True, slots=True)
class SeedMedia:
    id: str
    kind: str  # "photo" | "video"
    url: str | None


@dataclass(frozen=True, slots=True)
class SeedPost:
    message: str | None
    link: str | None
    attachments: tuple[str, ...]
    published: bool
    scheduled_publish_time: int | None
    is_hidden: bool


@dataclass(frozen=True, slots=True)
class SeedPage:
    id: str
    name: str
    category: str | None
    category_list: tuple[tuple[str, str], ...] | None  # (id, name)
    details: Mapping[str, Any]
    media: tuple[SeedMedia, ...]
    posts: tuple[SeedPost, ...]
    # Initial page settings (`page_values.SETTING_DEFAULTS` names); the rest default.
    settings: Mapping[str, bool | str]


@dataclass(frozen=True, slots=True)
class Seed:
    app_secret: str | None
    oneall_public_key: str | None
    oneall_private_key: str | None
    users: tuple[SeedUser, ...]
    pages: tuple[SeedPage, ...]


def load_seed_file(path: Path | str) -> dict[str, Any]:
    """Read and validate a seed file; raise `SeedError` with every problem found."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SeedError(
            source, [f"cannot read the file: {exc.strerror or exc}"]
        ) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SeedError(source, [f"not valid YAML: {exc}"]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SeedError(source, ["the top level must be a mapping"])
    parse_seed(data, source=source)
    return data


def parse_seed(data: Mapping[str, Any] | None, *, source: str = "<seed>") -> Seed:
    """Turn a parsed seed mapping into values; raise `SeedError` listing every problem."""
    problems: list[str] = []
    data = data or {}
    unknown = sorted(set(data) - {"app_secret", "oneall", "users", "pages"})
    problems.extend(f"{key}: unknown key" for key in unknown)
    app_secret = _opt_str(data.get("app_secret"), "app_secret", problems)
    oneall = data.get("oneall") or {}
    public_key = private_key = None
    if not isinstance(oneall, Mapping):
        problems.append("oneall: must be a mapping with public_key and private_key")
    else:
        public_key = _opt_str(oneall.get("public_key"), "oneall.public_key", problems)
        private_key = _opt_str(
            oneall.get("private_key"), "oneall.private_key", problems
        )
    pages = tuple(
        page
        for index, raw in enumerate(_list(data.get("pages"), "pages", problems))
        if (page := _parse_page(raw, f"pages[{index}]", problems)) is not None
    )
    users = tuple(
        user
        for index, raw in enumerate(_list(data.get("users"), "users", problems))
        if (user := _parse_user(raw, f"users[{index}]", problems)) is not None
    )
    _check_references(users, pages, problems)
    if problems:
        raise SeedError(source, problems)
    return Seed(app_secret, public_key, private_key, users, pages)


def _check_references(
    users: Sequence[SeedUser], pages: Sequence[SeedPage], problems: list[str]
) -> None:
    page_ids = [page.id for page in pages]
    for page_id in sorted({p for p in page_ids if page_ids.count(p) > 1}):
        problems.append(f"pages: page {page_id} is defined twice")
    tokens: list[str] = []
    for index, user in enumerate(users):
        tokens.append(user.token)
        for role in user.roles:
            tokens.append(role.token)
            if role.page_id not in page_ids:
                problems.append(
                    f"users[{index}].pages: page {role.page_id} is not defined under pages:"
                )
    for token in sorted({t for t in tokens if tokens.count(t) > 1}):
        problems.append(f"users: token {token[:4]}... is used more than once")
    user_ids = [user.id for user in users]
    for user_id in sorted({u for u in user_ids if user_ids.count(u) > 1}):
        problems.append(f"users: user {user_id} is defined twice")
    check_identity_tokens(
        ((u.oneall_identity_token, u.oneall_identities) for u in users), problems
    )
    media_ids = [media.id for page in pages for media in page.media]
    for media_id in sorted({m for m in media_ids if media_ids.count(m) > 1}):
        problems.append(f"pages: media {media_id} is listed more than once")
    for page_index, page in enumerate(pages):
        own = {media.id for media in page.media}
        for post_index, post in enumerate(page.posts):
            for media_id in post.attachments:
                if media_id not in own:
                    problems.append(
                        f"pages[{page_index}].posts[{post_index}].attachments: media"
                        f" {media_id} is not in this page's media:"
                    )


def _parse_user(raw: Any, where: str, problems: list[str]) -> SeedUser | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    known = {"id", "name", "token", "oneall_identity_token", "oneall_identities"}
    unknown = sorted(set(raw) - known - {"pages"})
    problems.extend(f"{where}.{key}: unknown key" for key in unknown)
    user_id = _id(raw.get("id"), f"{where}.id", problems)
    name = _req_str(raw.get("name"), f"{where}.name", problems)
    token = _req_str(raw.get("token"), f"{where}.token", problems)
    identity = _opt_str(
        raw.get("oneall_identity_token"), f"{where}.oneall_identity_token", problems
    )
    networks = parse_identities(
        raw.get("oneall_identities"), f"{where}.oneall_identities", problems
    )
    roles = []
    for index, role in enumerate(_list(raw.get("pages"), f"{where}.pages", problems)):
        at = f"{where}.pages[{index}]"
        if not isinstance(role, Mapping):
            problems.append(f"{at}: must be a mapping with id, token and tasks")
            continue
        problems.extend(
            f"{at}.{key}: unknown key"
            for key in sorted(set(role) - {"id", "token", "tasks"})
        )
        page_id = _id(role.get("id"), f"{at}.id", problems)
        page_token = _req_str(role.get("token"), f"{at}.token", problems)
        tasks = _list(role.get("tasks"), f"{at}.tasks", problems)
        for task in tasks:
            if task not in KNOWN_TASKS:
                problems.append(
                    f"{at}.tasks: unknown task {task!r} (known: {', '.join(sorted(KNOWN_TASKS))})"
                )
        if page_id and page_token:
            roles.append(SeedRole(page_id, page_token, tuple(str(t) for t in tasks)))
    if not (user_id and name and token):
        return None
    return SeedUser(user_id, name, token, identity, tuple(roles), networks)


def _parse_page(raw: Any, where: str, problems: list[str]) -> SeedPage | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    problems.extend(
        f"{where}.{key}: unknown key" for key in sorted(set(raw) - _PAGE_KEYS)
    )
    page_id = _id(raw.get("id"), f"{where}.id", problems)
    name = _req_str(raw.get("name"), f"{where}.name", problems)
    category = _opt_str(raw.get("category"), f"{where}.category", problems)
    category_list = None
    if raw.get("category_list") is not None:
        entries = []
        for index, entry in enumerate(
            _list(raw.get("category_list"), f"{where}.category_list", problems)
        ):
            if isinstance(entry, Mapping) and "id" in entry and "name" in entry:
                entries.append((str(entry["id"]), str(entry["name"])))
            else:
                problems.append(f"{where}.category_list[{index}]: needs id and name")
        category_list = tuple(entries)
    details = {key: raw[key] for key in PAGE_DETAIL_FIELDS if raw.get(key) is not None}
    settings = _parse_settings(raw.get("settings"), f"{where}.settings", problems)
    media = []
    for index, entry in enumerate(_list(raw.get("media"), f"{where}.media", problems)):
        at = f"{where}.media[{index}]"
        if isinstance(entry, str | int) and not isinstance(entry, bool):
            if media_id := _id(entry, at, problems):
                media.append(SeedMedia(media_id, "photo", None))
        elif isinstance(entry, Mapping):
            media_id = _id(entry.get("id"), f"{at}.id", problems)
            kind = entry.get("type", "photo")
            if kind not in ("photo", "video"):
                problems.append(f"{at}.type: must be photo or video")
            url = _opt_str(entry.get("url"), f"{at}.url", problems)
            if media_id:
                media.append(SeedMedia(media_id, str(kind), url))
        else:
            problems.append(f"{at}: must be a media id or a mapping with id")
    posts = []
    for index, entry in enumerate(_list(raw.get("posts"), f"{where}.posts", problems)):
        post = _parse_post(entry, f"{where}.posts[{index}]", problems)
        if post is not None:
            posts.append(post)
    if not (page_id and name):
        return None
    return SeedPage(
        page_id,
        name,
        category,
        category_list,
        details,
        tuple(media),
        tuple(posts),
        settings,
    )


def _parse_settings(raw: Any, where: str, problems: list[str]) -> dict[str, Any]:
    """`settings: {USERS_CAN_MESSAGE: false}`, checked as POST /{page-id}/settings is."""
    if not isinstance(raw, Mapping | None):
        problems.append(f"{where}: must be a mapping of page settings to values")
        return {}
    found = {str(k): (v, setting_problem(str(k), v)) for k, v in (raw or {}).items()}
    problems.extend(f"{where}: {problem}" for _, problem in found.values() if problem)
    return {name: value for name, (value, problem) in found.items() if not problem}


def _parse_post(raw: Any, where: str, problems: list[str]) -> SeedPost | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{where}: must be a mapping")
        return None
    known = {
        "message",
        "link",
        "attachments",
        "published",
        "scheduled_publish_time",
        "is_hidden",
    }
    problems.extend(f"{where}.{key}: unknown key" for key in sorted(set(raw) - known))
    message = _opt_str(raw.get("message"), f"{where}.message", problems)
    link = _opt_str(raw.get("link"), f"{where}.link", problems)
    attachments = tuple(
        media_id
        for index, value in enumerate(
            _list(raw.get("attachments"), f"{where}.attachments", problems)
        )
        if (media_id := _id(value, f"{where}.attachments[{index}]", problems))
    )
    if link and attachments:
        problems.append(f"{where}: a post has a link or attachments, not both")
    if not (message or link or attachments):
        problems.append(f"{where}: needs a message, a link or attachments")
    published = raw.get("published", True)
    if not isinstance(published, bool):
        problems.append(f"{where}.published: must be true or false")
        published = True
    scheduled = raw.get("scheduled_publish_time")
    if scheduled is not None and (
        isinstance(scheduled, bool) or not isinstance(scheduled, int)
    ):
        problems.append(
            f"{where}.scheduled_publish_time: must be a UNIX time (integer)"
        )
        scheduled = None
    hidden = raw.get("is_hidden", False)
    if not isinstance(hidden, bool):
        problems.append(f"{where}.is_hidden: must be true or false")
        hidden = False
    return SeedPost(message, link, attachments, published, scheduled, hidden)


def _list(value: Any, where: str, problems: list[str]) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: must be a list")
        return []
    return value


def _id(value: Any, where: str, problems: list[str]) -> str | None:
    """Ids are digit strings; YAML may have read an unquoted one as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.match(value):
        problems.append(f'{where}: must be a numeric id such as "104510075301234"')
        return None
    return value


def _req_str(value: Any, where: str, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value:
        problems.append(f"{where}: required, must be a non-empty string")
        return None
    return value


def _opt_str(value: Any, where: str, problems: list[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems.append(f"{where}: must be a string")
        return None
    return value
