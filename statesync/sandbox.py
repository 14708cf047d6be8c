"""The sandbox: the emulator in-process, seeded from the project's own manifests.

So that a new user can plan and apply with no account: every page in the manifests
exists on the emulator, administered by a sandbox user, with every media id the
manifests attach. The emulator's SQLite state lives in
``<project>/.statesync/sandbox.db``, so sandbox pages keep their posts between runs,
just as real pages do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from statesync.emulator.server import run_emulator
from statesync.media import is_ref
from statesync.model import Desired
from statesync.secret import Secret
from statesync.targets import Network, is_facebook, target_of

# Not secrets: they exist only on the loopback emulator the sandbox starts.
SANDBOX_USER_TOKEN = "sandbox-user-token"  # noqa: S105
SANDBOX_ONEALL_PUBLIC_KEY = "sandbox-public-key"
SANDBOX_ONEALL_PRIVATE_KEY = "sandbox-private-key"
SANDBOX_IDENTITY_TOKEN = "5a4d3c2b-0000-4000-8000-5a4db0c5a4db"  # noqa: S105
SANDBOX_NETWORK_TOKENS = {
    Network.TWITTER: "5a4d3c2b-0000-4000-8000-5a4db0c5a401",
    Network.LINKEDIN: "5a4d3c2b-0000-4000-8000-5a4db0c5a402",
    Network.PINTEREST: "5a4d3c2b-0000-4000-8000-5a4db0c5a403",
}
_ALL_TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]


@dataclass(frozen=True, slots=True)
class Sandbox:
    url: str
    state: Path
    user_token: Secret
    oneall_keys: tuple[Secret, Secret, Secret]  # public key, private key, identity
    # The other networks' logins, for the networks the manifests publish to.
    identities: Mapping[Network, Secret] = field(default_factory=dict)

    def banner(self) -> str:
        return (
            f"Sandbox: running against the local emulator at {self.url}, "
            f"not Facebook (state in {self.state})."
        )


def sandbox_seed(desired: Desired) -> dict[str, Any]:
    """An emulator seed in which the sandbox user administers every manifest's page,
    and has a login on every other network the manifests publish to, with each
    LinkedIn company and Pinterest board they name."""
    pages = sorted(
        (page for page in desired.pages.values() if is_facebook(page.page_id)),
        key=lambda page: page.page_id,
    )
    user: dict[str, Any] = {
        "id": "900001",
        "name": "Sandbox User",
        "token": SANDBOX_USER_TOKEN,
        "oneall_identity_token": SANDBOX_IDENTITY_TOKEN,
        "pages": [
            {
                "id": page.page_id,
                "token": f"sandbox-page-token-{page.page_id}",
                "tasks": _ALL_TASKS,
            }
            for page in pages
        ],
    }
    identities = _identities(desired)
    if identities:
        user["oneall_identities"] = identities
    return {
        "oneall": {
            "public_key": SANDBOX_ONEALL_PUBLIC_KEY,
            "private_key": SANDBOX_ONEALL_PRIVATE_KEY,
        },
        "users": [user],
        "pages": [
            {
                "id": page.page_id,
                "name": page.name or page.stem,
                "category": "Sandbox",
                "media": sorted(
                    {
                        media
                        for post in page.posts.values()
                        for media in post.fields.attachments
                        if not is_ref(media)  # a file: the sandbox takes its upload
                    }
                ),
            }
            for page in pages
        ],
    }


def _identities(desired: Desired) -> dict[str, Any]:
    """The seed's ``oneall_identities`` for the networks the manifests reach."""
    targets = [target_of(key) for key in desired.pages if not is_facebook(key)]
    found: dict[str, Any] = {}
    for network, token in SANDBOX_NETWORK_TOKENS.items():
        idents = sorted(t.ident for t in targets if t.network is network)
        if not any(t.network is network for t in targets):
            continue
        entry: dict[str, Any] = {"token": token}
        if network is Network.TWITTER:
            entry["account"] = {"id": "1500000000000000001", "screen_name": "sandbox"}
        elif network is Network.LINKEDIN:
            entry["companies"] = idents
        else:
            entry["boards"] = idents
        found[network.value] = entry
    return found


@contextmanager
def run_sandbox(
    project_root: Path, desired: Desired, now: str | None = None
) -> Iterator[Sandbox]:
    """The emulator for this project; with ``now`` (``STATESYNC_NOW``), its clock
    is moved there too, so that the API and statesync agree on the time."""
    state = project_root / ".statesync" / "sandbox.db"
    state.parent.mkdir(parents=True, exist_ok=True)
    with run_emulator(seed=sandbox_seed(desired), state=state) as emulator:
        if now:
            emulator.set_clock(now)
        yield Sandbox(
            url=emulator.url,
            state=state,
            user_token=Secret(SANDBOX_USER_TOKEN),
            oneall_keys=(
                Secret(SANDBOX_ONEALL_PUBLIC_KEY),
                Secret(SANDBOX_ONEALL_PRIVATE_KEY),
                Secret(SANDBOX_IDENTITY_TOKEN),
            ),
            identities={
                network: Secret(token)
                for network, token in SANDBOX_NETWORK_TOKENS.items()
            },
        )
