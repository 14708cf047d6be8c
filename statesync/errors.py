"""The exception tree.

Every user mistake is a ``StatesyncError``: the CLI prints its text and exits 1, with no
traceback. Anything else is a bug and keeps its traceback. Problems that have a place
(a manifest line, a statesync.yaml line, a post the rails refuse) derive from
``ProblemsError``: one list of ``Problem`` items, which the text, JSON and GitHub
annotation outputs all render the same way (``statesync.error_report``).

    StatesyncError
    ├── ProblemsError           problems, each with its file and line where it has one
    │   ├── ConfigError         statesync.yaml, environment, tokens, --only
    │   ├── ManifestError       every problem of every manifest at once
    │   ├── PageAccessError     pages the credentials cannot act on, before any write
    │   └── UnsafePlanError     a plan that a safety rail refuses
    │       └── SafetyRailError          (safety) every rail the plan breaks
    ├── LockfileError           unreadable, conflicted or corrupted lockfile
    │   └── LockfileWriteError           (lockfile) the OS refused to write it
    ├── ProviderError           an API refused or was unreachable (address, code, remedy)
    │   ├── PostGone                     (providers) the post to update is gone
    │   │   └── MediaGone                (providers) ... and so is its video
    │   ├── PushOutcomeUnknown           (providers) a push sent, its answer lost
    │   ├── OutcomeUnknown               (post_apply) ... and the page cannot be listed
    │   ├── InvalidId                    (providers) an id that would change a URL path
    │   ├── GraphError                   (providers) the Graph API's error, mapped
    │   │   └── GraphUnreachable         (providers) no answer from the Graph API
    │   └── OneAllError                  (providers) a OneAll API error, mapped
    │       ├── OneAllUnreachable        (providers) no answer from OneAll
    │       └── PullRefused              (providers) the Pull API may not read
    ├── ApplyFailed                      (applier) an action failed mid-apply
    ├── ApplyLockedError                 (safety) another apply holds the project
    ├── SavedPlanError          a plan file that cannot be read or used
    │   └── StalePlanError               (savedplan) the world moved since the plan
    ├── ResolveError            `statesync resolve` named nothing to settle
    ├── AdoptError                       (importer) an import with nothing to adopt
    ├── StateError                       (state) a state command named nothing, or
    │                                    would make the next plan destroy or duplicate
    └── InitError                        (scaffold) init would overwrite a file

Outside the tree, on purpose: ``UserError`` (error_report), the click exception that
shows any of these; ``Interrupted`` (interrupt), a ``BaseException`` like
``KeyboardInterrupt`` that no ``except Exception`` may take for an error;
``MediaProblem`` (media_files), one sentence about an attached file that the manifest check
turns into a ``FILE:LINE`` problem; ``TimeProblem`` (times), the same for an instant or a
time zone; and the emulator's own errors (it is a separate
program).

Messages never contain secrets: providers build them from fields they choose, never from
an HTTP library's text (its URLs can hold tokens); the YAML checks name the line of a
pasted token, never its text (``statesync.yamlcheck``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass


class StatesyncError(Exception):
    """A user-facing error: its text is the whole message, exit code 1."""


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where in a project file a value came from, for FILE:LINE messages."""

    file: str  # as the user named it, relative to the working directory when possible
    line: int  # 1-based

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@functools.total_ordering
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing to fix, at its place when it has one: ``FILE:LINE: message``.

    Problems sort by file, line and message, those without a place first.
    """

    message: str
    file: str | None = None
    line: int | None = None

    @classmethod
    def at(cls, location: Location, message: str) -> Problem:
        return cls(message, location.file, location.line)

    def _key(self) -> tuple[str, int, str]:
        return (self.file or "", self.line or 0, self.message)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class ProblemsError(StatesyncError):
    """Every problem at once, so that one edit fixes them all; rendered as lines,
    GitHub annotations or a JSON error document from ``problem_items``."""

    # One problem with no place reads best as one line, ``Error: <message>``; errors
    # whose closing line says more than a count keep it.
    one_line_when_single = True

    def __init__(self, items: Iterable[Problem], text: str | None = None) -> None:
        self.problem_items = tuple(items)
        super().__init__(text or "\n".join(str(p) for p in self.problem_items))

    def closing(self) -> str:
        """The last line, after the problems: how many, and that nothing was sent."""
        count = len(self.problem_items)
        noun = "problem" if count == 1 else "problems"
        return f"Error: {count} {noun} found; nothing was sent."


class ConfigError(ProblemsError):
    """statesync.yaml or the environment is wrong: one message, or the located
    problems of statesync.yaml."""

    def __init__(self, message: str | Iterable[Problem]) -> None:
        if isinstance(message, str):
            super().__init__([Problem(message)])
        else:
            super().__init__(sorted(message))


class ManifestError(ProblemsError):
    """All problems of all manifests at once, sorted by file and line."""

    def __init__(self, problems: Iterable[tuple[Location, str]]) -> None:
        self.problems = tuple(sorted(set(problems)))
        super().__init__(Problem.at(loc, msg) for loc, msg in self.problems)


class SavedPlanError(StatesyncError):
    """A saved plan file is missing, not a plan, corrupted or from another version,
    or its project cannot be found."""


class ResolveError(StatesyncError):
    """``statesync resolve`` named no pending push, or an id of another page."""


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


class PageAccessError(ProblemsError):
    """The credentials cannot act on some pages in scope; found before any write."""

    one_line_when_single = False

    def __init__(self, problems: Iterable[tuple[str, str]]) -> None:
        self.problems = tuple(problems)  # (where: manifest and page, what is missing)
        super().__init__(
            [Problem(f"{where}: {why}") for where, why in self.problems],
            "\n".join(f"{where}: {why}" for where, why in self.problems)
            + "\n"
            + self.closing().removeprefix("Error: "),
        )

    def closing(self) -> str:
        count = len(self.problems)
        return (
            f"Error: {count} page{'s' if count != 1 else ''} cannot be acted on with "
            "these credentials; nothing was sent."
        )


class UnsafePlanError(ProblemsError):
    """A safety rail refused the plan."""

    one_line_when_single = False
