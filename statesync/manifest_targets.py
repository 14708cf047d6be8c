"""Where a manifest publishes: ``page:``, ``network:`` (with ``company:`` or
``board:``), or ``targets:`` for one announcement on several networks::

    targets:
      acme: {page: "104510075301234"}
      x: {network: twitter}
      linkedin: {network: linkedin, company: "2414183"}
      pins: {network: pinterest, board: "5566778899001"}

Each entry of ``targets:`` is labelled; its posts are addressed ``<stem>@<label>/<key>``
(statesync.targets). Problems are appended to the manifest's checker with their line.
"""

from __future__ import annotations

from dataclasses import dataclass

from statesync.errors import Location
from statesync.targets import ID_FIELDS, LABEL, NETWORK_NAMES, Network, Target
from statesync.yamlcheck import Checker, digits, suggest, value_of
from statesync.yamlnodes import Entry, Mapping, Node, Scalar, describe

# The manifest keys that name a target; ``targets:`` excludes all of them.
TARGET_FIELDS = ("page", "network", "company", "board")
_NETWORK_WORDS = {
    "x": Network.TWITTER,
    "twitter": Network.TWITTER,
    "linkedin": Network.LINKEDIN,
    "pinterest": Network.PINTEREST,
    "facebook": Network.FACEBOOK,
}


@dataclass(frozen=True, slots=True)
class TargetEntry:
    target: Target
    label: str | None  # None: the manifest's only target, addressed by its stem
    location: Location  # the line that names it, for messages about the target


def check_targets(
    checker: Checker, entries: dict[str, Entry], line: int, guessed: set[str]
) -> list[TargetEntry]:
    """The manifest's targets, or [] with the problems reported."""
    fanout = value_of(entries, "targets")
    named = [name for name in TARGET_FIELDS if name in entries]
    if fanout is not None:
        if named:
            checker.at(
                entries[named[0]].line,
                f"{named[0]!r} and 'targets' cannot both be set: list every target "
                "under 'targets'",
            )
            return []
        return _fanout(checker, fanout)
    if not named:
        if "page" not in guessed:
            checker.at(
                line,
                "missing 'page': the numeric id of the Facebook page (or 'network:' "
                "for X, LinkedIn or Pinterest, or 'targets:' for several)",
            )
        return []
    target = _target(checker, entries, line)
    if target is None:
        return []
    where = entries.get(ID_FIELDS.get(target.network, "network")) or entries["network"]
    return [TargetEntry(target, None, Location(checker.file, where.line))]


def _fanout(checker: Checker, node: Node) -> list[TargetEntry]:
    if not isinstance(node, Mapping) or not node.entries:
        checker.at(
            node.line,
            "targets must be a mapping from labels to targets ({page: ...} or "
            f"{{network: ...}}), got {describe(node)}",
        )
        return []
    found: list[TargetEntry] = []
    seen: dict[Target, int] = {}
    for entry in node.entries:
        if not LABEL.fullmatch(entry.key):
            checker.at(
                entry.line,
                f"target label {entry.key!r} must be 1 to 40 lowercase letters, "
                "digits, '_' or '-', starting with a letter or digit",
            )
            continue
        value = entry.value
        if not isinstance(value, Mapping):
            checker.at(
                value.line,
                f'target {entry.key!r} must be a mapping such as {{page: "..."}} or '
                f"{{network: twitter}}, got {describe(value)}",
            )
            continue
        fields = checker.known_entries(value, TARGET_FIELDS, _unknown_field)
        target = _target(checker, fields, value.line)
        if target is None:
            continue
        if target in seen:
            checker.at(
                entry.line,
                f"target {entry.key!r} is {target}, as is the target at line "
                f"{seen[target]}: each target once",
            )
            continue
        seen[target] = entry.line
        found.append(TargetEntry(target, entry.key, Location(checker.file, entry.line)))
    return found


def _unknown_field(key: str) -> str:
    suggestion = suggest(key, TARGET_FIELDS, {"id": "page", "page_id": "page"})
    if suggestion is not None:
        return f"unknown field {key!r}: did you mean {suggestion!r}?"
    names = ", ".join(repr(name) for name in TARGET_FIELDS)
    return f"unknown field {key!r}: a target has {names}"


def _target(checker: Checker, entries: dict[str, Entry], line: int) -> Target | None:
    network = _network(checker, value_of(entries, "network"))
    if network is None:
        if "network" in entries:
            return None
        network = Network.FACEBOOK  # ``page:`` alone, as every manifest had
    wanted = ID_FIELDS.get(network)
    for name in ("page", "company", "board"):
        if name in entries and name != wanted:
            checker.at(
                entries[name].line,
                f"{name!r} does not belong to network {network}"
                + (f": it is named by {wanted!r}" if wanted else ": remove it"),
            )
            return None
    if wanted is None:
        return Target(network)
    ident = _ident(checker, value_of(entries, wanted), wanted, network, line)
    return Target(network, ident) if ident is not None else None


def _network(checker: Checker, node: Node | None) -> Network | None:
    if node is None:
        return None
    word = node.value if isinstance(node, Scalar) else None
    network = _NETWORK_WORDS.get(word.lower()) if isinstance(word, str) else None
    if network is None:
        checker.at(
            node.line,
            "network must be one of twitter (or x), linkedin, pinterest, facebook; "
            f"got {checker.shown(node)}",
        )
    return network


def _ident(
    checker: Checker, node: Node | None, name: str, network: Network, line: int
) -> str | None:
    example = {
        "page": "104510075301234",
        "company": "2414183",
        "board": "5566778899001",
    }
    if node is None:
        checker.at(
            line,
            f"missing {name!r}: the numeric id of the {NETWORK_NAMES[network]} "
            f'({name}: "{example[name]}")',
        )
        return None
    ident = digits(node)
    if ident is None:
        checker.at(
            node.line,
            f"{name} must be the {'page' if name == 'page' else NETWORK_NAMES[network]}"
            "'s numeric id as a quoted "
            f'string of digits ({name}: "{example[name]}"), got {checker.shown(node)}',
        )
    return ident
