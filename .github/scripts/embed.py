"""Copy .github/scripts/*.sh into the `run:` blocks of the workflows that embed them.

A reusable workflow runs in the caller's repository, where this repository's files are
absent, so .github/workflows/statesync.yml carries its scripts inline. The scripts here stay
the source that is edited, linted and tested; a `run: |` block whose first two lines are
`#!/usr/bin/env bash` and `# .github/scripts/NAME.sh...` is replaced by that file.

    python3 .github/scripts/embed.py          # rewrite the workflows
    python3 .github/scripts/embed.py --check  # exit 1 if a workflow is out of date
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = [ROOT / ".github" / "workflows" / "statesync.yml"]
RUN = re.compile(r"^(?P<indent> *)(?:- )?run: \|\n$")
NAME = re.compile(r"^# (\.github/scripts/[\w.-]+\.sh)\b")


def embed(text: str) -> str:
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        match = RUN.match(lines[i])
        i += 1
        if not match or i + 1 >= len(lines):
            continue
        first, second = lines[i], lines[i + 1]
        indent = first[: len(first) - len(first.lstrip(" "))]
        name = NAME.match(second.strip())
        if first.strip() != "#!/usr/bin/env bash" or not name or not indent:
            continue
        # Skip the old block: the lines indented as deep, and the blank lines between them.
        end = i
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(indent)):
            i += 1
            if lines[i - 1].strip():
                end = i
        i = end
        script = (ROOT / name.group(1)).read_text(encoding="utf-8")
        out.extend(
            indent + line if line.strip() else "\n" for line in script.splitlines(True)
        )
    return "".join(out)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for workflow in WORKFLOWS:
        old = workflow.read_text(encoding="utf-8")
        new = embed(old)
        if new != old:
            stale.append(workflow.relative_to(ROOT))
            if not check:
                workflow.write_text(new, encoding="utf-8")
    if check and stale:
        names = ", ".join(map(str, stale))
        sys.stderr.write(
            f"{names}: out of date; run python3 .github/scripts/embed.py\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
