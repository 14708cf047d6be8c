"""Starting, restarting and seeding the emulator; concurrency; the CLI command."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from statesync.emulator.seed import SeedError, load_seed_file, parse_seed
from statesync.emulator.server import RunningEmulator, run_emulator
from tests.emulator.support import ACME, ACME_TOKEN, BETA, USER_TOKEN

REPO = Path(__file__).resolve().parents[2]


def feed(emulator: RunningEmulator) -> list[dict[str, Any]]:
    with httpx.Client(base_url=emulator.url, trust_env=False) as http:
        body = http.get(
            f"/v26.0/{ACME}/feed",
            params={"access_token": ACME_TOKEN, "fields": "id,message"},
        ).json()
    data: list[dict[str, Any]] = body["data"]
    return data


def test_restart_on_the_same_state_file_keeps_posts(
    seed: dict[str, Any], tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    with run_emulator(seed=seed, state=state) as emulator:
        with httpx.Client(base_url=emulator.url, trust_env=False) as http:
            created = http.post(
                f"/{ACME}/feed", data={"access_token": ACME_TOKEN, "message": "kept"}
            ).json()["id"]
        first = feed(emulator)
    assert [post["message"] for post in first] == ["kept", "Welcome to our page!"]
    with run_emulator(seed=seed, state=state) as emulator:
        assert feed(emulator) == first  # the seed's post is not created twice
        with httpx.Client(base_url=emulator.url, trust_env=False) as http:
            newer = http.post(
                f"/{ACME}/feed", data={"access_token": ACME_TOKEN, "message": "newer"}
            ).json()["id"]
    assert int(newer.split("_")[1]) > int(created.split("_")[1])  # ids never repeat


def test_restart_upserts_users_and_pages_from_the_seed(
    seed: dict[str, Any], tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    with run_emulator(seed=seed, state=state):
        pass
    changed = json.loads(json.dumps(seed))
    changed["users"][0]["token"] = "rotated-token"
    changed["pages"][0]["name"] = "Acme Coffee Roasters"
    changed["pages"].append(
        {"id": "104510075309999", "name": "Gamma", "posts": [{"message": "new page"}]}
    )
    changed["users"][0]["pages"].append(
        {"id": "104510075309999", "token": "gamma-token", "tasks": ["CREATE_CONTENT"]}
    )
    with (
        run_emulator(seed=changed, state=state) as emulator,
        httpx.Client(base_url=emulator.url, trust_env=False) as http,
    ):
        assert http.get("/me", params={"access_token": USER_TOKEN}).status_code == 400
        me = http.get("/me", params={"access_token": "rotated-token"}).json()
        assert me["name"] == "Dana Example"
        assert http.get(f"/{ACME}", params={"access_token": ACME_TOKEN}).json()[
            "name"
        ] == ("Acme Coffee Roasters")
        gamma = http.get(
            "/104510075309999/feed",
            params={"access_token": "gamma-token", "fields": "message"},
        ).json()
        assert [post["message"] for post in gamma["data"]] == ["new page"]


def test_reset_returns_to_the_seed_exactly(emulator: RunningEmulator) -> None:
    with httpx.Client(base_url=emulator.url, trust_env=False) as http:
        seeded = feed(emulator)
        http.post(
            f"/{ACME}/feed", data={"access_token": ACME_TOKEN, "message": "gone soon"}
        )
        http.delete(f"/{seeded[0]['id']}", params={"access_token": ACME_TOKEN})
        http.post(f"/{ACME}", data={"access_token": ACME_TOKEN, "about": "changed"})
        emulator.reset()
        assert feed(emulator) == seeded  # same ids too: ids start over on reset
        about = http.get(
            f"/{ACME}", params={"access_token": ACME_TOKEN, "fields": "about"}
        )
        assert about.json()["about"] == "Small-batch coffee."


def test_twenty_concurrent_creates_get_twenty_ids(emulator: RunningEmulator) -> None:
    def create(index: int) -> str:
        with httpx.Client(base_url=emulator.url, trust_env=False) as http:
            response = http.post(
                f"/v26.0/{ACME}/feed",
                data={"access_token": ACME_TOKEN, "message": f"concurrent {index}"},
            )
            post_id: str = response.json()["id"]
            return post_id

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(create, range(20)))
    assert len(set(ids)) == 20
    with httpx.Client(base_url=emulator.url, trust_env=False) as http:
        body = http.get(
            f"/v26.0/{ACME}/feed", params={"access_token": ACME_TOKEN, "limit": "100"}
        ).json()
    assert set(ids) <= {post["id"] for post in body["data"]}


def test_seed_without_posts_or_oneall_is_fine() -> None:
    seed = parse_seed({"users": [], "pages": [{"id": "1", "name": "Bare"}]})
    assert seed.pages[0].posts == ()
    assert seed.oneall_public_key is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("- a list", "the top level must be a mapping"),
        ("users: [{id: x, name: n, token: t}]", 'users[0].id: must be a numeric id'),
        ("pages: [{id: '1'}]", "pages[0].name: required"),
        ("users: [{id: '1', name: n, token: t, pages: [{id: '2', token: p, tasks: [X]}]}]",
         "unknown task 'X'"),
        ("users: [{id: '1', name: n, token: t, pages: [{id: '2', token: p, tasks: []}]}]",
         "page 2 is not defined under pages:"),
        ("pages: [{id: '1', name: n, posts: [{message: m, attachments: ['9']}]}]",
         "media 9 is not in this page's media:"),
        ("pages: [{id: '1', name: n, posts: [{}]}]", "needs a message, a link or attachments"),
        ("bogus: 1", "bogus: unknown key"),
        ("users: [{id: '1', name: a, token: t}, {id: '2', name: b, token: t}]",
         "is used more than once"),
        ("pages: [{id: '1', name: n}", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_seed_files_say_what_is_wrong(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(text)
    with pytest.raises(SeedError) as caught:
        load_seed_file(path)
    assert problem in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_seed_file(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read the file"):
        load_seed_file(tmp_path / "absent.yaml")


_CLI = "from statesync.emulator.cli import emulator_command; emulator_command()"


def test_cli_serves_until_sigterm() -> None:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-c", _CLI, "--port", "0", "--seed", "tests/seed.yaml"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("statesync emulator listening on http://127.0.0.1:")
        url = line.strip().rsplit(" ", 1)[1]
        assert not url.endswith(":0")
        with httpx.Client(base_url=url, trust_env=False) as http:
            accounts = http.get(
                "/v26.0/me/accounts", params={"access_token": USER_TOKEN}
            ).json()
        assert [page["id"] for page in accounts["data"]] == [ACME, BETA]
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert stdout == ""  # the ready line alone
    assert "GET /v26.0/me/accounts" not in stderr  # no access log unless asked


def test_cli_access_log_goes_to_stderr() -> None:
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", _CLI, "--port", "0", "--access-log"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip().rsplit(" ", 1)[1]
        with httpx.Client(base_url=url, trust_env=False) as http:
            http.get("/v26.0/me")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert stdout == ""
    assert "GET /v26.0/me" in stderr


def test_cli_bad_seed_exits_1_with_one_message(tmp_path: Path) -> None:
    bad = tmp_path / "seed.yaml"
    bad.write_text("users: [{id: x}]")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", _CLI, "--port", "0", "--seed", str(bad)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: invalid emulator seed {bad}:")
    assert "Traceback" not in result.stderr
