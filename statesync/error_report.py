"""How a user error reaches the terminal: FILE:LINE problems bare, as GitHub annotations,
or as a JSON error document, and one closing line that says nothing was sent."""

from __future__ import annotations

import sys
from typing import IO

import click

from statesync.errors import ManifestError, PageAccessError, StatesyncError
from statesync.render.json import render_error_json
from statesync.safety import SafetyRailError


class UserError(click.ClickException):
    """Prints FILE:LINE problems bare (or as GitHub annotations), so that editors and
    CI can point at the very line."""

    def __init__(
        self,
        error: StatesyncError,
        *,
        github: bool = False,
        json_document: bool = False,
    ) -> None:
        super().__init__(str(error))
        self.error = error
        self.github = github
        self.json_document = json_document

    def show(self, file: IO[str] | None = None) -> None:
        stream = file or sys.stderr
        if self.json_document:  # automation never parses an empty stdout
            click.echo(render_error_json(_problems(self.error)), nl=False)
        if isinstance(self.error, SafetyRailError):
            for problem in self.error.problems:
                click.echo(problem, file=stream)
            count = len(self.error.problems)
            noun = "rail" if count == 1 else "rails"
            click.echo(
                f"Error: the plan breaks {count} safety {noun}; nothing was sent.",
                file=stream,
            )
            return
        if not isinstance(self.error, ManifestError):
            click.echo(f"Error: {self.format_message()}", file=stream)
            return
        for location, message in self.error.problems:
            if self.github:
                click.echo(_annotation(location.file, location.line, message))
            else:
                click.echo(f"{location}: {message}", file=stream)
        count = len(self.error.problems)
        noun = "problem" if count == 1 else "problems"
        click.echo(f"Error: {count} {noun} found; nothing was sent.", file=stream)


def _annotation(file: str, line: int, message: str) -> str:
    """A GitHub workflow command, escaped as the runner expects (%, CR, LF; and , :
    in properties), so that a message cannot end the command early."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    return f"::error file={prop(file)},line={line}::{data(message)}"


def _problems(error: StatesyncError) -> list[tuple[str | None, int | None, str]]:
    """(file, line, message) of each problem, for the JSON error document."""
    if isinstance(error, ManifestError):
        return [(loc.file, loc.line, message) for loc, message in error.problems]
    if isinstance(error, SafetyRailError):
        return [(None, None, problem) for problem in error.problems]
    if isinstance(error, PageAccessError):
        return [(None, None, f"{where}: {why}") for where, why in error.problems]
    return [(None, None, str(error))]
