"""Manifests: one YAML file per page, loaded into ``Desired`` or refused with every error.

A manifest names a page and the posts it should carry::

    page: "104510075301234"
    name: Acme Coffee
    posts:
      spring-menu:
        message: Our spring menu is here!
        link: https://acme.example/spring

Validation happens here, before anything touches the network, and reports every problem
of every manifest at once as ``FILE:LINE: message`` (one ``ManifestError``), so that one
edit fixes them all.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from statesync.errors import ConfigError, Location, ManifestError
from statesync.model import (
    POST_FIELDS,
    Address,
    Desired,
    DesiredPost,
    PageManifest,
    PostFields,
)
from statesync.yamlnodes import (
    SECRETS_ADVICE,
    Entry,
    Mapping,
    Node,
    Scalar,
    Sequence,
    describe,
    find_secrets,
    gc_paused,
    is_secret_key,
    looks_like_token,
    parse,
)

MANIFEST_SUFFIXES = (".yaml", ".yml")
PAGE_FIELDS = ("page", "name", "posts")
# A post's content fields, then its options (not content: a post of options only has no
# content). Unknown-field messages list the content fields only.
POST_OPTIONS = ("prevent_destroy",)
POST_KEYS = POST_FIELDS + POST_OPTIONS
# PROTOCOL §11: the largest message the Graph API accepts (third-party consensus).
MAX_MESSAGE_LENGTH = 63_206
# A post key is half of an address (``<stem>/<key>``) and a key of the lockfile: keep it
# to characters that need no quoting anywhere and can never contain the "/" separator.
POST_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
DIGITS = re.compile(r"[0-9]+")
_SPACE = re.compile(r"\s")
# Names people reach for that difflib cannot connect to ours.
_SYNONYMS = {
    "id": "page",
    "page_id": "page",
    "title": "name",
    "text": "message",
    "body": "message",
    "url": "link",
    "href": "link",
    "media": "attachments",
    "images": "attachments",
    "photos": "attachments",
    "protect": "prevent_destroy",
    "protected": "prevent_destroy",
    "lifecycle": "prevent_destroy",
}

Problems = list[tuple[Location, str]]


def load_desired(manifests_dir: Path, *, display_base: Path | None = None) -> Desired:
    """Every manifest in ``manifests_dir``, validated; one in a subfolder is a problem.

    Raises ``ConfigError`` when the directory is missing or holds no manifest (an
    empty desired state would plan the deletion of every recorded post), and one
    ``ManifestError`` listing every problem of every manifest otherwise.
    """
    files, nested = _manifest_files(manifests_dir)
    base = Path.cwd() if display_base is None else display_base
    folder = _display(manifests_dir, base)
    problems: Problems = [
        (Location(_display(path, base), 1), _nested_message(folder)) for path in nested
    ]
    with gc_paused():
        pages = _load_pages(files, base, problems)
    if problems:
        raise ManifestError(problems)
    return Desired(pages=pages)


def _load_pages(
    files: list[Path], base: Path, problems: Problems
) -> dict[str, PageManifest]:
    pages: dict[str, PageManifest] = {}
    seen: dict[str, Location] = {}  # page id -> its first ``page:``, valid or not
    stems: dict[str, str] = {}
    for path in files:
        display = _display(path, base)
        if path.stem in stems:
            problems.append(
                (
                    Location(display, 1),
                    f"{stems[path.stem]} has the same stem {path.stem!r}: the posts "
                    f"of both would be addressed {path.stem}/<key>; rename one",
                )
            )
            continue
        stems[path.stem] = display
        loaded = _load_manifest(path, display, problems)
        if loaded is None:
            continue
        first = seen.get(loaded.page_id)
        if first is not None:
            problems.append(
                (
                    loaded.location,
                    f"page {loaded.page_id} is already managed by {first}",
                )
            )
            continue
        seen[loaded.page_id] = loaded.location
        if loaded.manifest is not None:
            pages[loaded.page_id] = loaded.manifest
    return pages


def _manifest_files(manifests_dir: Path) -> tuple[list[Path], list[Path]]:
    """The manifests directly in ``manifests_dir``, and those in its subfolders."""
    if not manifests_dir.exists():
        raise ConfigError(
            f"manifests directory {manifests_dir} does not exist: create it with one "
            "YAML file per page, or point 'manifests:' in statesync.yaml at it"
        )
    if not manifests_dir.is_dir():
        raise ConfigError(f"manifests directory {manifests_dir} is not a directory")
    files = sorted(
        path
        for path in manifests_dir.iterdir()
        if _is_manifest_name(path.name) and path.is_file()
    )
    nested = _nested_manifests(manifests_dir)
    if not files and not nested:
        raise ConfigError(
            f"no manifests in {manifests_dir}: add one YAML file (*.yaml) per page; "
            "statesync refuses an empty directory rather than delete every post"
        )
    return files, nested


def _is_manifest_name(name: str) -> bool:
    """A YAML file, not a hidden one (editor backups and lock files start with ".")."""
    return name.endswith(MANIFEST_SUFFIXES) and not name.startswith(".")


def _nested_manifests(manifests_dir: Path) -> list[Path]:
    """YAML files in subfolders of ``manifests_dir`` (hidden folders aside), sorted.

    They are reported, not read. A manifest's stem is its name everywhere: the first
    half of every address (``<stem>/<key>``, where the "/" is the separator), the
    ``manifest`` of its lockfile page and the ``{manifest}`` of a per-manifest lockfile
    name (where a "/" would be a folder), and what ``--only`` matches as a file name or
    as ``<manifests dir>/<file name>``. A relative stem such as ``brands/acme`` would
    break each of those; silently skipping the file would plan the deletion of every
    post it records. So the file is named, and the user moves it.
    """
    nested: list[Path] = []
    for folder, subfolders, names in os.walk(manifests_dir):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        here = Path(folder)
        if here == manifests_dir:
            continue
        nested.extend(
            here / name
            for name in names
            if _is_manifest_name(name) and (here / name).is_file()
        )
    return sorted(nested)


def _nested_message(folder: str) -> str:
    where = "the manifests directory" if folder == "." else f"{folder}/"
    return (
        "manifests in subfolders are not read: statesync names a manifest by its "
        "file name alone (in addresses, the lockfile and --only); move it up into "
        f"{where}, or out of it if it is not a manifest"
    )


def _display(path: Path, base: Path) -> str:
    """The path as messages show it: relative to ``base`` when inside it."""
    absolute = os.path.abspath(path)
    try:
        return str(Path(absolute).relative_to(os.path.abspath(base)))
    except ValueError:
        return str(path)


@dataclass(frozen=True, slots=True)
class _Loaded:
    """A manifest whose page id is known, so duplicates are found even in broken files."""

    page_id: str
    location: Location  # the line of ``page:``
    manifest: PageManifest | None  # None when the file has problems


def _load_manifest(path: Path, display: str, problems: Problems) -> _Loaded | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append((Location(display, 1), f"cannot read: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append((Location(display, line), "not UTF-8 text"))
        return None
    return _Checker(display, problems).manifest(text, path.stem)


@dataclass(frozen=True, slots=True)
class _Checker:
    """Validates one manifest, appending to the shared problem list."""

    file: str
    problems: Problems

    def at(self, line: int, message: str) -> None:
        self.problems.append((Location(self.file, line), message))

    def manifest(self, text: str, stem: str) -> _Loaded | None:
        start = len(self.problems)
        document = parse(text)
        for line, message in document.problems:
            self.at(line, message)
        for finding in find_secrets(text, document):
            self.at(finding.line, _secret_message(finding.key))
        root = document.root
        if root is None:
            if not document.problems:
                self.at(1, "the file is empty: a manifest needs 'page' and 'posts'")
            return None
        if not isinstance(root, Mapping):
            self.at(
                root.line,
                "a manifest must be a mapping with 'page', 'name' and 'posts', "
                f"got {describe(root)}",
            )
            return None
        entries, guessed = self.fields(root, PAGE_FIELDS, "a manifest")
        page_id = self.page_id(_value(entries, "page"), root.line, "page" in guessed)
        name = self.name(_value(entries, "name"))
        posts = self.posts(
            _value(entries, "posts"), root.line, "posts" in guessed, stem, page_id
        )
        if page_id is None:
            return None
        location = Location(self.file, entries["page"].line)
        if len(self.problems) > start:
            return _Loaded(page_id, location, None)
        manifest = PageManifest(
            page_id=page_id, name=name, stem=stem, location=location, posts=posts
        )
        return _Loaded(page_id, location, manifest)

    def fields(
        self,
        mapping: Mapping,
        known: tuple[str, ...],
        what: str,
        *,
        listed: tuple[str, ...] | None = None,
    ) -> tuple[dict[str, Entry], set[str]]:
        """The known fields of ``mapping``, and the names suggested for unknown ones.

        A suggested name is not reported missing too: fixing the typo fixes both.
        ``listed`` is what a message names when no suggestion fits (default: known).
        """
        values: dict[str, Entry] = {}
        guessed: set[str] = set()
        for entry in mapping.entries:
            if entry.key in known:
                values[entry.key] = entry
            elif not is_secret_key(entry.key):  # find_secrets reported it already
                suggestion = _suggest(entry.key, known)
                if suggestion is None:
                    names = ", ".join(repr(name) for name in listed or known)
                    self.at(
                        entry.line, f"unknown field {entry.key!r}: {what} has {names}"
                    )
                else:
                    guessed.add(suggestion)
                    self.at(
                        entry.line,
                        f"unknown field {entry.key!r}: did you mean {suggestion!r}?",
                    )
        return values, guessed

    def page_id(self, node: Node | None, line: int, guessed: bool) -> str | None:
        if node is None:
            if not guessed:
                self.at(line, "missing 'page': the numeric id of the Facebook page")
            return None
        page_id = _digits(node)
        if page_id is None:
            self.at(
                node.line,
                "page must be the page's numeric id as a quoted string of digits "
                f'(page: "104510075301234"), got {_shown(node)}',
            )
        return page_id

    def name(self, node: Node | None) -> str | None:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return None
        if isinstance(node, Scalar) and isinstance(node.value, str):
            return node.value
        self.at(node.line, f"name must be a string, got {describe(node)}")
        return None

    def posts(
        self,
        node: Node | None,
        line: int,
        guessed: bool,
        stem: str,
        page_id: str | None,
    ) -> dict[str, DesiredPost]:
        if node is None:
            if not guessed:
                self.at(
                    line, "missing 'posts' (write 'posts: {}' for a page with no posts)"
                )
            return {}
        if not isinstance(node, Mapping):
            self.at(
                node.line,
                "posts must be a mapping from post keys to posts "
                f"(write 'posts: {{}}' for none), got {describe(node)}",
            )
            return {}
        posts: dict[str, DesiredPost] = {}
        for entry in node.entries:
            if not POST_KEY.fullmatch(entry.key):
                self.at(
                    entry.line,
                    f"post key {entry.key!r} must be 1 to 100 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit",
                )
                continue
            checked = self.post(entry.key, entry.value, entry.line)
            if checked is not None and page_id is not None:
                fields, protected_at = checked
                posts[entry.key] = DesiredPost(
                    address=Address(stem, entry.key),
                    page_id=page_id,
                    fields=fields,
                    location=Location(self.file, entry.line),
                    prevent_destroy=protected_at is not None,
                    prevent_destroy_at=protected_at,
                )
        return posts

    def post(
        self, key: str, node: Node, line: int
    ) -> tuple[PostFields, Location | None] | None:
        """The post's content, and the line of ``prevent_destroy: true`` if set."""
        if isinstance(node, Scalar) and node.value is None:
            self.at(
                line, f"post {key!r} has no content: set message, link or attachments"
            )
            return None
        if not isinstance(node, Mapping):
            self.at(
                node.line,
                f"post {key!r} must be a mapping with message, link or attachments, "
                f"got {describe(node)}",
            )
            return None
        before = len(self.problems)
        entries, _ = self.fields(node, POST_KEYS, "a post", listed=POST_FIELDS)
        protected_at = self.prevent_destroy(_value(entries, "prevent_destroy"))
        message = self.message(_value(entries, "message"))
        link = self.link(_value(entries, "link"))
        attachments = self.attachments(_value(entries, "attachments"))
        if link is not None and attachments:
            # seeds 000/001: "either include a link or attachments but not both"
            self.at(
                line,
                f"post {key!r} has both link and attachments: a post carries one or "
                "the other, never both",
            )
        if not (message or link or attachments) and len(self.problems) == before:
            # an empty attachments list is no content either
            self.at(
                line, f"post {key!r} has no content: set message, link or attachments"
            )
        if len(self.problems) > before:
            return None
        fields = PostFields(message=message, link=link, attachments=attachments)
        return fields, protected_at

    def prevent_destroy(self, node: Node | None) -> Location | None:
        """A boolean and nothing else: a safety flag must never be half set."""
        if node is None:
            return None
        if isinstance(node, Scalar) and isinstance(node.value, bool):
            return Location(self.file, node.line) if node.value else None
        self.at(node.line, f"prevent_destroy must be true or false, got {_shown(node)}")
        return None

    def message(self, node: Node | None) -> str | None:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return None
        if not (isinstance(node, Scalar) and isinstance(node.value, str)):
            self.at(node.line, f"message must be a string, got {_shown(node)}")
            return None
        message = node.value
        if not message.strip():
            self.at(node.line, "message is blank: remove it or write some text")
            return None
        if len(message) > MAX_MESSAGE_LENGTH:
            self.at(
                node.line,
                f"message is {len(message):,} characters long, over the "
                f"{MAX_MESSAGE_LENGTH:,} that Facebook accepts",
            )
            return None
        return message

    def link(self, node: Node | None) -> str | None:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return None
        if not (isinstance(node, Scalar) and isinstance(node.value, str)):
            self.at(node.line, f"link must be a URL string, got {describe(node)}")
            return None
        if not _is_web_url(node.value):
            self.at(
                node.line,
                "link must be an absolute http:// or https:// URL with a host, "
                f"got {_shown(node)}",
            )
            return None
        return node.value.strip()

    def attachments(self, node: Node | None) -> tuple[str, ...]:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return ()
        if not isinstance(node, Sequence):
            self.at(
                node.line,
                'attachments must be a list of media ids (attachments: ["123"]), '
                f"got {describe(node)}",
            )
            return ()
        ids: list[str] = []
        first: dict[str, int] = {}
        for index, item in enumerate(node.items):
            media_id = _digits(item)
            if media_id is None:
                self.at(
                    item.line,
                    f"attachments[{index}] must be a media id (a string of digits), "
                    f"got {_shown(item)}",
                )
            elif media_id in first:
                self.at(
                    item.line,
                    f"media {media_id} is attached twice (first at line "
                    f"{first[media_id]})",
                )
            else:
                first[media_id] = item.line
                ids.append(media_id)
        return tuple(ids)


def _digits(node: Node | None) -> str | None:
    """An id written as digits, quoted or not; never a float, hex or octal reading.

    The source text is kept, so an unquoted ``0123`` (octal 83 in YAML 1.1) stays
    "0123" and an unquoted 15-digit id keeps every digit.
    """
    if not isinstance(node, Scalar) or isinstance(node.value, bool):
        return None
    if isinstance(node.value, str | int) and DIGITS.fullmatch(node.text):
        return node.text
    return None


def _value(entries: dict[str, Entry], name: str) -> Node | None:
    entry = entries.get(name)
    return None if entry is None else entry.value


def _is_web_url(text: str) -> bool:
    if _SPACE.search(text):
        return False
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port out of range
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _shown(node: Node) -> str:
    """A wrong value as messages quote it: short, and never a token-shaped one."""
    kind = describe(node)
    if (
        not isinstance(node, Scalar)
        or node.value is None
        or isinstance(node.value, bool)
    ):
        return kind
    if looks_like_token(node.text):
        return f"{kind} (not shown: it looks like a secret)"
    text = node.text if len(node.text) <= 60 else node.text[:57] + "..."
    return repr(text) if isinstance(node.value, str) else f"{text} ({kind})"


def _suggest(key: str, known: tuple[str, ...]) -> str | None:
    synonym = _SYNONYMS.get(key.lower())
    if synonym in known:
        return synonym
    matches = difflib.get_close_matches(key.lower(), known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _secret_message(key: str | None) -> str:
    if key is None:
        return f"this looks like a Graph access token: {SECRETS_ADVICE}"
    return f"{key!r} looks like a secret: {SECRETS_ADVICE}"
