"""The exception tree.

Every user mistake is a ``StatesyncError``: the CLI prints its text and exits 1, with no
traceback. Anything else is a bug and keeps its traceback.

    StatesyncError
    ├── ConfigError        statesync.yaml, environment, tokens
    ├── ManifestError      every problem of every manifest at once, FILE:LINE: message
    ├── LockfileError      unreadable, conflicted or corrupted lockfile
    ├── ProviderError      an API refused or was unreachable (address, code, remedy)
    ├── PageAccessError    pages the credentials cannot act on, found before any write
    └── UnsafePlanError    a plan that a safety rail refuses

Messages never contain secrets: providers build them from fields they choose, never from
an HTTP library's text (its URLs can hold tokens).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class StatesyncError(Exception):
    """A user-facing error: its text is the whole message, exit code 1."""


class ConfigError(StatesyncError):
    """statesync.yaml or the environment is wrong."""


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where in a project file a value came from, for FILE:LINE messages."""

    file: str  # as the user named it, relative to the working directory when possible
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class ManifestError(StatesyncError):
    """All problems at once, so one edit fixes them all."""

    def __init__(self, problems: Iterable[tuple[Location, str]]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__("\n".join(f"{loc}: {msg}" for loc, msg in self.problems))


class LockfileError(StatesyncError):
    """The lockfile cannot be trusted; it is never overwritten in that case."""


class ProviderError(StatesyncError):
    """An API call failed; names what was being done, the API's code and a remedy."""

    def __init__(
        self,
        message: str,
        *,
        target: str | None = None,
        status: int | None = None,
        code: int | None = None,
        remedy: str | None = None,
    ) -> None:
        self.message = message
        self.target = target
        self.status = status
        self.code = code
        self.remedy = remedy
        super().__init__(self._text())

    def _text(self) -> str:
        head = f"{self.target}: " if self.target else ""
        facts = []
        if self.status is not None:
            facts.append(f"HTTP {self.status}")
        if self.code is not None:
            facts.append(f"code {self.code}")
        tail = f" ({', '.join(facts)})" if facts else ""
        remedy = f"\n  {self.remedy}" if self.remedy else ""
        return f"{head}{self.message}{tail}{remedy}"


class PageAccessError(StatesyncError):
    """The credentials cannot act on some pages in scope; found before any write."""

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems = tuple(problems)  # (where: manifest and page, what is missing)
        count = len(self.problems)
        lines = [f"{where}: {why}" for where, why in self.problems]
        super().__init__(
            "\n".join(lines)
            + f"\n{count} page{'s' if count != 1 else ''} cannot be acted on with "
            "these credentials; nothing was sent."
        )


class UnsafePlanError(StatesyncError):
    """A safety rail refused the plan."""
