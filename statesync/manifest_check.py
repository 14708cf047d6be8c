"""One manifest's fields checked: the page, its name, its posts and each post's content.

``ManifestChecker`` reads the text of one manifest and appends every problem it finds
to the list shared by all manifests (``statesync.manifest`` raises them at once); a
manifest with problems yields no ``PageManifest``, but still its page id where it has
one, so that a page managed twice is found even in broken files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from statesync.errors import Location
from statesync.manifest_attachments import check_attachments
from statesync.manifest_moves import check_moves
from statesync.manifest_targets import TargetEntry, check_targets
from statesync.media import MediaFile
from statesync.model import (
    POST_FIELDS,
    Address,
    DesiredDetails,
    DesiredPost,
    PageManifest,
    PostFields,
)
from statesync.network_check import MEDIA_LIMITS, check_post, media_limits
from statesync.normalize import is_web_url
from statesync.page_check import check_page_fields
from statesync.post_flags import POST_FLAGS
from statesync.post_times import check_times
from statesync.targets import Network, file_stem, manifest_name
from statesync.times import DEFAULT_ZONE
from statesync.yamlcheck import Checker, secret_message, suggest, value_of
from statesync.yamlnodes import (
    Entry,
    Mapping,
    Node,
    Scalar,
    Sequence,
    describe,
    looks_like_token,
)

PAGE_FIELDS = (
    "page",
    "name",
    "details",
    "settings",
    "posts",
    "moved",
    "network",
    "company",
    "board",
    "targets",
)
# A post's content fields, then its options (not content: a post of options only has no
# content). Unknown-field messages list the content fields only.
POST_OPTIONS = (
    "prevent_destroy",
    "publish_at",
    "expire_at",
    "pinned",
    "hidden",
    "override",
    "targets",
)
POST_KEYS = POST_FIELDS + POST_OPTIONS
# PROTOCOL §11: the largest message the Graph API accepts (third-party consensus).
MAX_MESSAGE_LENGTH = 63_206
# A post key is half of an address (``<stem>/<key>``) and a key of the lockfile: keep it
# to characters that need no quoting anywhere and can never contain the "/" separator.
POST_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
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


@dataclass(frozen=True, slots=True)
class Loaded:
    """A manifest whose page id is known, so duplicates are found even in broken files."""

    page_id: str
    location: Location  # the line of ``page:``
    manifest: PageManifest | None  # None when the file has problems


@dataclass(frozen=True, slots=True)
class ManifestChecker(Checker):
    """Validates one manifest, appending to the problem list all manifests share:
    ``ManifestChecker(file, problems).manifest(text, stem)``. File attachments are
    relative to ``media_root``, the project's directory."""

    media_root: Path = Path()
    timezone: str = DEFAULT_ZONE  # the project's, for local date-times
    # key -> the file, for every file attachment of the manifest's posts
    media: dict[str, MediaFile] = field(default_factory=dict)
    # The largest image and video every target of the manifest takes (set once
    # the targets are read, before the posts).
    media_limits: list[int] = field(
        default_factory=lambda: list(MEDIA_LIMITS[Network.FACEBOOK])
    )
    # post key -> target label -> (the content fields it sets for that target
    # alone, the line of its entry): ``override:``
    overrides: dict[str, dict[str, tuple[dict[str, Any], int]]] = field(
        default_factory=dict
    )
    # target label -> its network, for the media limits of the files a post (or an
    # override) sends to some targets only
    label_networks: dict[str, Network] = field(default_factory=dict)
    # post key -> (the labels of the targets it goes to, the line): ``targets:``
    post_targets: dict[str, tuple[tuple[str, ...], int]] = field(default_factory=dict)

    def manifest(self, text: str, stem: str) -> list[Loaded]:
        """One ``Loaded`` per target of the manifest (none when it names none)."""
        start = len(self.problems)
        document = self.read(text, secret_message)
        root = document.root
        if root is None:
            if not document.problems:
                self.at(1, "the file is empty: a manifest needs 'page' and 'posts'")
            return []
        if not isinstance(root, Mapping):
            self.at(
                root.line,
                "a manifest must be a mapping with 'page', 'name' and 'posts', "
                f"got {describe(root)}",
            )
            return []
        entries, guessed = self.fields(root, PAGE_FIELDS, "a manifest")
        targets = check_targets(self, entries, root.line, guessed)
        if targets:
            self.media_limits[:] = media_limits(e.target.network for e in targets)
            self.label_networks.update(
                {e.label: e.target.network for e in targets if e.label}
            )
        name = self.name(value_of(entries, "name"))
        # One target addressed by the stem (every manifest before fan-out): its
        # posts are built for it at once, with no copies to make.
        single = targets[0] if len(targets) == 1 and not targets[0].label else None
        posts = self.posts(
            value_of(entries, "posts"),
            root.line,
            "posts" in guessed,
            stem,
            single.target.key if single else "",
        )
        moves = check_moves(self, value_of(entries, "moved"), stem, posts)
        details = check_page_fields(
            self, value_of(entries, "details"), value_of(entries, "settings")
        )
        self._reachable(targets, posts, details, entries)
        broken = len(self.problems) > start
        return [
            Loaded(
                entry.target.key,
                entry.location,
                None
                if broken
                else self.for_target(
                    entry,
                    entry is single,
                    PageManifest(
                        page_id=entry.target.key,
                        name=name,
                        stem=manifest_name(stem, entry.label),
                        location=entry.location,
                        posts=posts,
                        media=dict(self.media),
                        moves=moves,
                        details=details,
                    ),
                ),
            )
            for entry in targets
        ]

    def _reachable(
        self,
        targets: list[TargetEntry],
        posts: dict[str, DesiredPost],
        details: DesiredDetails,
        entries: dict[str, Entry],
    ) -> None:
        """What a target's network cannot carry: page details off a single Facebook
        page, and each post against every network it reaches (once per network)."""
        networks = {entry.target.network for entry in targets}
        alone = len(targets) == 1 and networks == {Network.FACEBOOK}
        if details.lines and targets and not alone:
            first = entries.get("details") or entries["settings"]
            self.at(
                first.line,
                "details and settings belong to a manifest of one Facebook page "
                "('page:'), not to a manifest with other or several targets",
            )
        labels = {entry.label for entry in targets if entry.label}
        known = ", ".join(sorted(labels)) or "none: the manifest has no 'targets'"
        for key, (chosen, line) in self.post_targets.items():
            for label in chosen:
                if label not in labels:
                    self.at(
                        line,
                        f"post {key!r} goes to target {label!r}, which the manifest "
                        f"does not name (its targets: {known})",
                    )
        for key, by_label in self.overrides.items():
            for label, (_, line) in by_label.items():
                if label not in labels:
                    self.at(
                        line,
                        f"post {key!r} overrides target {label!r}, which the manifest "
                        f"does not name (its targets: {known})",
                    )
        if networks == {Network.FACEBOOK} and not (self.overrides or self.post_targets):
            # every manifest before other networks: one rule, no copies to compare
            for post in posts.values():
                self._pair_and_expiry(targets[0], post, post.fields)
            return
        checked: set[tuple[Network, str, PostFields]] = set()
        for entry in targets:
            for post in posts.values():
                if not self.goes_to(post.address.key, entry.label):
                    continue
                fields = self.fields_for(post, entry.label)
                seen = (entry.target.network, post.address.key, fields)
                if seen in checked:  # two boards: one message per problem
                    continue
                checked.add(seen)
                line = post.location.line
                check_post(
                    entry.target.network,
                    post.address.key,
                    fields,
                    self.media,
                    partial(self.at, line),
                )
                self._pair_and_expiry(entry, post, fields)
                if post.address.key not in self.overrides:
                    continue  # the post's own checks hold on every target
                if not (fields.message or fields.link or fields.attachments):
                    self.at(
                        line,
                        f"post {post.address.key!r} has no content on target "
                        f"{entry.label!r}: its override leaves nothing to publish",
                    )

    def _pair_and_expiry(
        self, entry: TargetEntry, post: DesiredPost, fields: PostFields
    ) -> None:
        key, line, network = post.address.key, post.location.line, entry.target.network
        on = f" on target {entry.label!r}" if entry.label else ""
        if (
            network is Network.FACEBOOK
            and fields.link is not None
            and fields.attachments
        ):
            # seeds 000/001: "either include a link or attachments but not both"; a
            # pin has both (its image, and where it leads)
            self.at(
                line,
                f"post {key!r} has both link and attachments{on}: a post carries one "
                "or the other, never both",
            )
        if network is Network.LINKEDIN and post.expire_at is not None:
            self.at(
                line,
                f"post {key!r} expires{on}, but OneAll cannot delete a LinkedIn post: "
                "remove expire_at (or leave LinkedIn out of this post's targets)",
            )

    def goes_to(self, key: str, label: str | None) -> bool:
        """Whether the post ``key`` goes to the target ``label`` (all, by default)."""
        chosen = self.post_targets.get(key)
        return chosen is None or label in chosen[0]

    def fields_for(self, post: DesiredPost, label: str | None) -> PostFields:
        """The post's content on the target ``label``, its overrides applied."""
        override = self.overrides.get(post.address.key, {}).get(label or "")
        if override is None:
            return post.fields
        return replace(post.fields, **override[0])

    def for_target(
        self, entry: TargetEntry, built: bool, manifest: PageManifest
    ) -> PageManifest:
        return _for_target(
            built,
            manifest,
            lambda post: self.fields_for(post, entry.label),
            lambda key: self.goes_to(key, entry.label),
        )

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
        guessed: set[str] = set()

        def unknown(key: str) -> str:
            suggestion = suggest(key, known, _SYNONYMS)
            if suggestion is None:
                names = ", ".join(repr(name) for name in listed or known)
                return f"unknown field {key!r}: {what} has {names}"
            guessed.add(suggestion)
            return f"unknown field {key!r}: did you mean {suggestion!r}?"

        return self.known_entries(mapping, known, unknown), guessed

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
        page_id: str,
    ) -> dict[str, DesiredPost]:
        """The manifest's posts, addressed by its stem, for ``page_id`` ("": for
        several targets, ``_for_target`` gives each target its own copies)."""
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
        pinned_at: int | None = None  # the line of the page's pinned post
        for entry in node.entries:
            if looks_like_token(entry.key):
                continue  # reported as a secret, which no message may repeat
            if not POST_KEY.fullmatch(entry.key):
                self.at(
                    entry.line,
                    f"post key {entry.key!r} must be 1 to 100 letters, digits, '.', "
                    "'_' or '-', starting with a letter or digit",
                )
                continue
            checked = self.post(entry.key, entry.value, entry.line)
            if checked is not None and ("pinned", True) in checked[0].flags:
                if pinned_at is not None:
                    # seed 003: one pinned post per page; pinning another unpins it
                    self.at(
                        entry.line,
                        f"post {entry.key!r} is pinned, and so is the post at line "
                        f"{pinned_at}: a page has one pinned post",
                    )
                    continue
                pinned_at = entry.line
            if checked is not None:
                fields, protected_at, (publish_at, expire_at) = checked
                posts[entry.key] = DesiredPost(
                    address=Address(stem, entry.key),
                    page_id=page_id,
                    fields=fields,
                    location=Location(self.file, entry.line),
                    prevent_destroy=protected_at is not None,
                    prevent_destroy_at=protected_at,
                    publish_at=publish_at,
                    expire_at=expire_at,
                )
        return posts

    def post(
        self, key: str, node: Node, line: int
    ) -> tuple[PostFields, Location | None, tuple[int | None, int | None]] | None:
        """The post's content, the line of ``prevent_destroy: true`` if set, and its
        publishing and expiry instants."""
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
        # Each value by name once: a post has a dozen names to look up, 10,000 posts
        # a hundred thousand lookups.
        value = {name: entry.value for name, entry in entries.items()}.get
        protected_at = self.prevent_destroy(value("prevent_destroy"))
        times = check_times(self, key, value("publish_at"), value("expire_at"))
        message = self.message(value("message"))
        link = self.link(value("link"))
        self.goes(key, value("targets"))
        chosen = self.post_targets.get(key, ((), 0))[0]
        with self.limits_for(chosen):
            attachments = check_attachments(self, value("attachments"))
        self.override(key, value("override"))
        if not (message or link or attachments) and len(self.problems) == before:
            # an empty attachments list is no content either
            self.at(
                line, f"post {key!r} has no content: set message, link or attachments"
            )
        if len(self.problems) > before:
            return None
        flags = tuple(
            (name, on)
            for name in POST_FLAGS
            if (node_ := value(name)) is not None
            and (on := self.boolean(node_, name)) is not None
        )
        if len(self.problems) > before:
            return None
        fields = PostFields(
            message=message, link=link, attachments=attachments, flags=flags
        )
        return fields, protected_at, times

    def override(self, key: str, node: Node | None) -> None:
        """``override: {<target label>: {message, link, attachments}}``: content for
        one target of a manifest with ``targets:`` (a shorter text for X, no file
        for LinkedIn); a field set to null there is not set on that target."""
        if node is None:
            return
        if not isinstance(node, Mapping):
            self.at(
                node.line,
                "override must map target labels to the fields they change "
                f"({{x: {{message: ...}}}}), got {describe(node)}",
            )
            return
        found: dict[str, tuple[dict[str, Any], int]] = {}
        for entry in node.entries:
            value = entry.value
            if not isinstance(value, Mapping):
                self.at(
                    value.line,
                    f"override {entry.key!r} must be a mapping of message, link or "
                    f"attachments, got {describe(value)}",
                )
                continue
            fields, _ = self.fields(value, POST_FIELDS, "an override")
            changes: dict[str, Any] = {}
            if "message" in fields:
                changes["message"] = self.message(fields["message"].value)
            if "link" in fields:
                changes["link"] = self.link(fields["link"].value)
            if "attachments" in fields:
                with self.limits_for((entry.key,)):
                    changes["attachments"] = check_attachments(
                        self, fields["attachments"].value
                    )
            found[entry.key] = (changes, entry.line)
        self.overrides[key] = found

    def limits_for(self, labels: tuple[str, ...]) -> AbstractContextManager[None]:
        """The media limits of the targets ``labels`` name (all of the manifest's
        when none is known), while the files sent to them alone are checked."""
        known = self.label_networks
        networks = [known[label] for label in labels if label in known]
        if not networks:  # most posts: no generator to make and run for nothing
            return nullcontext()
        return self._limited_to(networks)

    @contextmanager
    def _limited_to(self, networks: list[Network]) -> Iterator[None]:
        manifest_wide = list(self.media_limits)
        self.media_limits[:] = media_limits(networks)
        try:
            yield
        finally:
            self.media_limits[:] = manifest_wide

    def goes(self, key: str, node: Node | None) -> None:
        """``targets: [acme, x]``: the labels of the manifest's targets this post
        goes to, in a manifest with ``targets:`` (default: every one)."""
        if node is None:
            return
        items = node.items if isinstance(node, Sequence) else []
        labels = [
            item.value
            for item in items
            if isinstance(item, Scalar) and isinstance(item.value, str)
        ]
        if not labels or len(labels) != len(items):
            self.at(
                node.line,
                "targets of a post must be a list of the manifest's target labels "
                f"([acme, x]), got {describe(node)}",
            )
            return
        self.post_targets[key] = (tuple(str(label) for label in labels), node.line)

    def prevent_destroy(self, node: Node | None) -> Location | None:
        """A boolean and nothing else: a safety flag must never be half set."""
        if node is None or not self.boolean(node, "prevent_destroy"):
            return None
        return Location(self.file, node.line)

    def message(self, node: Node | None) -> str | None:
        if node is None or (isinstance(node, Scalar) and node.value is None):
            return None
        message = self.string(node, "message")
        if message is None:
            return None
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
        if not is_web_url(node.value):
            self.at(
                node.line,
                "link must be an absolute http:// or https:// URL with a host, "
                f"got {self.shown(node)}",
            )
            return None
        return node.value.strip()


def _for_target(
    built: bool,
    manifest: PageManifest,
    fields_of: Callable[[DesiredPost], PostFields],
    goes: Callable[[str], bool],
) -> PageManifest:
    """The manifest's posts and moves addressed by its target's manifest name and
    carrying its target key and content (``built``: they already are)."""
    if built:
        return manifest
    name, stem = manifest.stem, file_stem(manifest.stem)
    posts = {
        key: replace(
            post,
            address=Address(name, key),
            page_id=manifest.page_id,
            fields=fields_of(post),
        )
        for key, post in manifest.posts.items()
        if goes(key)
    }
    moves = tuple(
        replace(
            move,
            source=_renamed(move.source, stem, name),
            target=_renamed(move.target, stem, name),
        )
        for move in manifest.moves
        if goes(move.target.key)  # a post moves where it goes, nowhere else
    )
    return replace(manifest, posts=posts, moves=moves)


def _renamed(address: Address, stem: str, name: str) -> Address:
    return Address(name, address.key) if address.manifest == stem else address
