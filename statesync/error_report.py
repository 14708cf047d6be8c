"""How a user error reaches the terminal: its problems as FILE:LINE lines, as GitHub
annotations, or as a JSON error document, then one closing line that says nothing was
sent. Every ``ProblemsError`` goes through the same path, whatever its class."""

from __future__ import annotations

import sys
from typing import IO

import click

from statesync.errors import Problem, ProblemsError, StatesyncError
from statesync.render.json import render_error_json


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
        items = problems_of(self.error)
        if self.json_document:  # automation never parses an empty stdout
            triples = [(item.file, item.line, item.message) for item in items]
            click.echo(render_error_json(triples), nl=False)
        error = self.error
        if not isinstance(error, ProblemsError) or (
            error.one_line_when_single and len(items) == 1 and items[0].file is None
        ):
            click.echo(f"Error: {self.format_message()}", file=stream)
            return
        for item in items:
            if self.github and item.file is not None and item.line is not None:
                click.echo(_annotation(item.file, item.line, item.message))
            else:
                click.echo(str(item), file=stream)
        click.echo(error.closing(), file=stream)


def problems_of(error: StatesyncError) -> tuple[Problem, ...]:
    """The error's problems; an error that is one message is one problem."""
    if isinstance(error, ProblemsError):
        return error.problem_items
    return (Problem(str(error)),)


def _annotation(file: str, line: int, message: str) -> str:
    """A GitHub workflow command, escaped as the runner expects (%, CR, LF; and , :
    in properties), so that a message cannot end the command early."""

    def data(text: str) -> str:
        return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")

    def prop(text: str) -> str:
        return data(text).replace(":", "%3A").replace(",", "%2C")

    return f"::error file={prop(file)},line={line}::{data(message)}"
