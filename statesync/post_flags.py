"""Pinned and hidden: a post's flags (seed 003 ``is_pinned``, ``is_hidden``), changed
in place through the Graph API, also on a post OneAll created (OneAll cannot set
them). Only the flags a manifest names are managed: a post pinned by hand whose
manifest says nothing about pinning is left pinned.
"""

from __future__ import annotations

from collections.abc import Mapping

from statesync.model import PostFields

POST_FLAGS = ("hidden", "pinned")


def managed(fields: PostFields) -> dict[str, bool]:
    return dict(fields.flags)


def flag_changes(want: PostFields, have: PostFields) -> tuple[str, ...]:
    """The managed flags whose live value differs (a flag not listed live is off)."""
    if not want.flags:
        return ()
    live = dict(have.flags)
    return tuple(name for name, on in want.flags if live.get(name, False) != on)


def flag_drift(
    want: PostFields, have: PostFields, recorded: Mapping[str, bool]
) -> bool:
    """A managed flag changed live since statesync last applied it."""
    live = dict(have.flags)
    return any(
        name in recorded and live.get(name, False) != recorded[name]
        for name, _ in want.flags
    )


def flags_to_set(fields: PostFields, *, new: bool) -> dict[str, bool]:
    """What to send after a push (``new``: a flag that is off is already off) or
    with an update (every managed flag)."""
    return {name: on for name, on in fields.flags if on or not new}
