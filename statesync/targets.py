"""Targets: where a manifest publishes. A Facebook page, an X account, a LinkedIn
company page or a Pinterest board (DESIGN.md's vocabulary). Pure.

Every layer below the manifest keys a target by one string, its ``key``: the lockfile's
pages, the plan's ``page_id``, the writer's first argument. A Facebook page keeps its
bare numeric id, so lockfiles written before other networks existed read unchanged;
the others carry their network first (``twitter``, ``linkedin:2414183``,
``pinterest:5566778899001``), which no page id can look like.

A manifest with one target names its posts ``<stem>/<key>``. A manifest that fans one
entry out to several targets (``targets:``) gives each target a label, and each
target's posts are addressed ``<stem>@<label>/<key>``: the part before the "/" is the
*manifest name* that the lockfile records, and the part before the "@" is always the
file's stem (for sharded lockfiles and ``--only``).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Network(enum.StrEnum):
    FACEBOOK = "facebook"
    TWITTER = "twitter"  # X: the OneAll routes still say twitter (seeds 000, 001)
    LINKEDIN = "linkedin"
    PINTEREST = "pinterest"


# How messages name each kind of target.
NETWORK_NAMES = {
    Network.FACEBOOK: "Facebook page",
    Network.TWITTER: "X account",
    Network.LINKEDIN: "LinkedIn company page",
    Network.PINTEREST: "Pinterest board",
}
# The manifest key that names each network's object (none for the X account: the
# identity's own).
ID_FIELDS = {
    Network.FACEBOOK: "page",
    Network.LINKEDIN: "company",
    Network.PINTEREST: "board",
}
# A fan-out target's label: half of an address, in lockfile names and on the
# command line; it cannot hold the "/" or "@" separators.
LABEL = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
LABEL_SEPARATOR = "@"


@dataclass(frozen=True, slots=True, order=True)
class Target:
    network: Network
    ident: str = ""  # the page, company or board id; "" for the X account

    @property
    def key(self) -> str:
        if self.network is Network.FACEBOOK:
            return self.ident
        if self.network is Network.TWITTER:
            return "twitter"
        return f"{self.network}:{self.ident}"

    def __str__(self) -> str:
        if self.network is Network.FACEBOOK:
            return f"page {self.ident}"
        if self.network is Network.TWITTER:
            return "the X account"
        if self.network is Network.LINKEDIN:
            return f"LinkedIn company {self.ident}"
        return f"Pinterest board {self.ident}"


def target_of(key: str) -> Target:
    """The target a key names (``Target.key`` inverted); digits are a Facebook page.
    Any other text too: a renderer may be shown a plan file's arbitrary page id, and
    names it as a page rather than fail."""
    network, _, ident = key.partition(":")
    if key == Network.TWITTER:
        return Target(Network.TWITTER)
    if ident and network in (Network.LINKEDIN, Network.PINTEREST):
        return Target(Network(network), ident)
    return Target(Network.FACEBOOK, key)


def network_of(key: str) -> Network:
    """The network of a target key, without building a ``Target``."""
    if key.isdigit():
        return Network.FACEBOOK
    return target_of(key).network


def is_facebook(key: str) -> bool:
    return network_of(key) is Network.FACEBOOK


def manifest_name(stem: str, label: str | None) -> str:
    """How addresses and the lockfile name one target of a manifest."""
    return stem if label is None else f"{stem}{LABEL_SEPARATOR}{label}"


def file_stem(name: str) -> str:
    """The manifest file's stem of a manifest name (``launch@x`` -> ``launch``)."""
    return name.partition(LABEL_SEPARATOR)[0]


# What the id of a post on each network looks like, and how a message says so: a
# post id becomes part of the URL of every later update or delete, so one from an
# API's reply or a person's hand is checked first.
_POST_IDS = {
    Network.TWITTER: (re.compile(r"[0-9]{1,25}"), "digits"),
    Network.PINTEREST: (re.compile(r"[0-9]{1,25}"), "digits"),
    # docs/oneall-networks.md §2: the share's URN, kept whole (unconfirmed)
    Network.LINKEDIN: (
        re.compile(r"urn:li:[A-Za-z]+:[0-9]{1,25}|[0-9]{1,25}"),
        "urn:li:share:<digits>",
    ),
}


def post_id_problem(key: str, post_id: str) -> str | None:
    """Why ``post_id`` cannot be a post of the target ``key``; None when it can."""
    network = network_of(key)
    if network is Network.FACEBOOK:
        if re.fullmatch(rf"{re.escape(key)}_[0-9]+", post_id):
            return None
        return f"ids look like {key}_<digits>"
    pattern, form = _POST_IDS[network]
    return None if pattern.fullmatch(post_id) else f"ids look like {form}"
