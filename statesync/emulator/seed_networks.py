"""A seed user's OneAll identities on X, LinkedIn and Pinterest (docs/oneall-networks.md).

```yaml
oneall_identities:
  twitter: {token: <uuid>, account: {id: "1500000000000000001", screen_name: acmecoffee}}
  linkedin: {token: <uuid>, companies: ["2414183"]}
  pinterest: {token: <uuid>, boards: ["5566778899001"]}
```

Checked as strictly as the rest of the seed (`seed.py`), every problem at once: a
misspelt network or a missing board must fail at start, not as an odd 404 later.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

NETWORKS = ("twitter", "linkedin", "pinterest")
# What each network's identity lists as the places it may publish to.
_TARGET_KEYS = {"linkedin": "companies", "pinterest": "boards"}
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_DIGITS = re.compile(r"^[0-9]{1,30}$")
# X: "Your username cannot be longer than 15 characters", letters, digits and `_`.
_SCREEN_NAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")


@dataclass(frozen=True, slots=True)
class SeedIdentity:
    network: str  # one of NETWORKS
    token: str  # the identity_token in OneAll's paths
    # twitter: the account's id alone; linkedin: company ids; pinterest: board ids.
    targets: tuple[str, ...]
    screen_name: str | None = None  # twitter only: the account's @name

    @property
    def account_id(self) -> str:
        return self.targets[0]


def parse_identities(
    raw: Any, where: str, problems: list[str]
) -> tuple[SeedIdentity, ...]:
    """`oneall_identities:` of one user; problems are appended, bad entries dropped."""
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        problems.append(
            f"{where}: must be a mapping of network ({', '.join(NETWORKS)}) to identity"
        )
        return ()
    identities = []
    for network, entry in raw.items():
        at = f"{where}.{network}"
        if network not in NETWORKS:
            problems.append(f"{at}: unknown network (known: {', '.join(NETWORKS)})")
            continue
        identity = _parse_identity(str(network), entry, at, problems)
        if identity is not None:
            identities.append(identity)
    return tuple(identities)


def check_identity_tokens(
    users: Iterable[tuple[str | None, tuple[SeedIdentity, ...]]], problems: list[str]
) -> None:
    """Every identity token, of any network or Facebook, belongs to one identity."""
    tokens: list[str] = []
    for facebook, identities in users:
        tokens.extend([facebook] if facebook else [])
        tokens.extend(identity.token for identity in identities)
    for token in sorted({t for t in tokens if tokens.count(t) > 1}):
        problems.append(
            f"users: identity token {token} is used more than once (tokens of"
            " oneall_identity_token and oneall_identities must all differ)"
        )


def _parse_identity(
    network: str, entry: Any, at: str, problems: list[str]
) -> SeedIdentity | None:
    target_key = _TARGET_KEYS.get(network, "account")
    if not isinstance(entry, Mapping):
        problems.append(f"{at}: must be a mapping with token and {target_key}")
        return None
    problems.extend(
        f"{at}.{key}: unknown key"
        for key in sorted(set(entry) - {"token", target_key}, key=str)
    )
    token = entry.get("token")
    if not isinstance(token, str) or not _UUID.match(token):
        problems.append(
            f"{at}.token: required, a uuid such as 0f6a1c52-7d3e-4b8a-9c11-2e5f6a7b8c9d"
        )
        token = None
    if network == "twitter":
        account = _parse_account(entry.get("account"), f"{at}.account", problems)
        if token is None or account is None:
            return None
        return SeedIdentity(network, token, (account[0],), account[1])
    targets = _parse_targets(entry.get(target_key), f"{at}.{target_key}", problems)
    if token is None or not targets:
        return None
    return SeedIdentity(network, token, targets)


def _parse_account(raw: Any, at: str, problems: list[str]) -> tuple[str, str] | None:
    if not isinstance(raw, Mapping):
        problems.append(f"{at}: required, a mapping with id and screen_name")
        return None
    problems.extend(
        f"{at}.{key}: unknown key"
        for key in sorted(set(raw) - {"id", "screen_name"}, key=str)
    )
    account_id = _digits(raw.get("id"), f"{at}.id", problems)
    screen_name = raw.get("screen_name")
    if not isinstance(screen_name, str) or not _SCREEN_NAME.match(screen_name):
        problems.append(
            f"{at}.screen_name: required, 1 to 15 letters, digits or _ (no @)"
        )
        return None
    return (account_id, screen_name) if account_id else None


def _parse_targets(raw: Any, at: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f'{at}: required, a non-empty list of ids such as ["2414183"]')
        return ()
    ids = [
        target
        for index, value in enumerate(raw)
        if (target := _digits(value, f"{at}[{index}]", problems))
    ]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{at}: {duplicate} is listed more than once")
    return tuple(dict.fromkeys(ids))


def _digits(value: Any, at: str, problems: list[str]) -> str | None:
    """Ids are digit strings; YAML may have read an unquoted one as an int."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _DIGITS.match(value):
        problems.append(f'{at}: must be a numeric id such as "2414183"')
        return None
    return value
