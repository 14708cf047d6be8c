"""The sandbox: the emulator in-process, seeded from the project's own manifests.

So that a new user can plan and apply with no account: every page in the manifests
exists on the emulator, administered by a sandbox user, with every media id the
manifests attach. The emulator's SQLite state lives in
``<project>/.statesync/sandbox.db``, so sandbox pages keep their posts between runs,
just as real pages do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from statesync.emulator.server import run_emulator
from statesync.media import is_ref
from statesync.model import Desired
from statesync.secret import Secret

# Not secrets: they exist only on the loopback emulator the sandbox starts.
SANDBOX_USER_TOKEN = "sandbox-user-token"  # noqa: S105
SANDBOX_ONEALL_PUBLIC_KEY = "sandbox-public-key"
SANDBOX_ONEALL_PRIVATE_KEY = "sandbox-private-key"
SANDBOX_IDENTITY_TOKEN = "5a4d3c2b-0000-4000-8000-5a4db0c5a4db"  # noqa: S105
_ALL_TASKS = ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"]


@dataclass(frozen=True, slots=True)
class Sandbox:
    url: str
    state: Path
    user_token: Secret
    oneall_keys: tuple[Secret, Secret, Secret]  # public key, private key, identity

    def banner(self) -> str:
        return (
            f"Sandbox: running against the local emulator at {self.url}, "
            f"not Facebook (state in {self.state})."
        )


def sandbox_seed(desired: Desired) -> dict[str, Any]:
    """An emulator seed in which the sandbox user administers every manifest's page."""
    pages = sorted(desired.pages.values(), key=lambda page: page.page_id)
    return {
        "oneall": {
            "public_key": SANDBOX_ONEALL_PUBLIC_KEY,
            "private_key": SANDBOX_ONEALL_PRIVATE_KEY,
        },
        "users": [
            {
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
        ],
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
        )
