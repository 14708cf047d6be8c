"""A manifest's ``moved:`` entries, checked offline: renames that keep a post.

::

    moved:
      - from: old-key            # a key of this manifest, or a full address
        to: new-key              # a post of this manifest

Terraform's ``moved`` blocks, for posts. What one file can tell is checked here:
shape, a target that is a post of the file, a source that is not (so no chain or cycle
can form: its middle would be both), one move per source and per target. What needs
the lockfile (a source never recorded, a target already
recorded) is checked when the plan is made, before anything is read or sent.
"""

from __future__ import annotations

from collections.abc import Mapping as MappingOf

from statesync.errors import Location
from statesync.model import Address, DesiredPost, Move
from statesync.yamlcheck import Checker
from statesync.yamlnodes import Mapping, Node, Scalar, Sequence, describe

MOVE_FIELDS = ("from", "to")


def check_moves(
    checker: Checker, node: Node | None, stem: str, posts: MappingOf[str, DesiredPost]
) -> tuple[Move, ...]:
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return ()
    if not isinstance(node, Sequence):
        checker.at(
            node.line,
            f"moved must be a list of {{from: <old key>, to: <new key>}}, got "
            f"{describe(node)}",
        )
        return ()
    moves: list[Move] = []
    sources: dict[Address, int] = {}
    targets: dict[Address, int] = {}
    for index, item in enumerate(node.items):
        move = _move(checker, index, item, stem, posts)
        if move is None:
            continue
        line = move.location.line
        if move.source in sources:
            checker.at(
                line,
                f"{move.source} is moved twice (first at line {sources[move.source]})",
            )
            continue
        if move.target in targets:
            checker.at(
                line,
                f"two posts move to {move.target} (first at line {targets[move.target]})",
            )
            continue
        sources[move.source], targets[move.target] = line, line
        moves.append(move)
    return tuple(moves)


def _move(
    checker: Checker,
    index: int,
    item: Node,
    stem: str,
    posts: MappingOf[str, DesiredPost],
) -> Move | None:
    if not isinstance(item, Mapping):
        checker.at(
            item.line,
            f"moved[{index}] must be a mapping {{from: <old key>, to: <new key>}}, got "
            f"{describe(item)}",
        )
        return None
    entries = checker.known_entries(
        item,
        MOVE_FIELDS,
        lambda key: (
            f"unknown field {key!r} in moved[{index}]: a move has 'from' and 'to'"
        ),
    )
    ends = {}
    for name in MOVE_FIELDS:
        entry = entries.get(name)
        if entry is None:
            checker.at(item.line, f"moved[{index}] needs '{name}'")
            return None
        text = checker.string(entry.value, name)
        if text is None:
            return None
        ends[name] = _address(text.strip(), stem)
    source, target = ends["from"], ends["to"]
    if source == target:
        checker.at(item.line, f"moved[{index}] moves {source} onto itself")
        return None
    if target.manifest != stem:
        checker.at(
            item.line,
            f"moved[{index}]: a post moves to a key of this manifest ({stem}/<key>), "
            f"not to {target}",
        )
        return None
    if target.key not in posts:
        checker.at(
            item.line,
            f"moved[{index}]: {target.key!r} is not a post of this manifest: the post "
            "it moves to must be under 'posts'",
        )
        return None
    if source.manifest == stem and source.key in posts:
        checker.at(
            item.line,
            f"moved[{index}]: {source.key!r} is still a post of this manifest; a moved "
            "post keeps one address",
        )
        return None
    return Move(source, target, Location(checker.file, item.line))


def _address(text: str, stem: str) -> Address:
    manifest, slash, key = text.partition("/")
    return Address(manifest, key) if slash else Address(stem, text)
