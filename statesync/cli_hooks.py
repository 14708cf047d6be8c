"""The terminal's side of a workflow: where the plan, notes and outcomes are printed,
how the user is asked, and what SIGINT/SIGTERM do while actions run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from statesync.applier import Outcome
from statesync.interrupt import StopSignal, exit_now, signal_name
from statesync.operations import Execution, Hooks
from statesync.plan import Plan
from statesync.plan_order import InPlanOrder
from statesync.progress import ProgressFactory, no_progress


class TerminalHooks(Hooks):
    """Plans and outcomes to stdout, notes to stderr; the sandbox banner to stderr
    when stdout is for a machine or a PR comment (``output_format`` not text)."""

    def __init__(
        self,
        output_format: str,
        stop: StopSignal | None = None,
        *,
        progress: ProgressFactory = no_progress,
        color: bool = False,
        media_url: str | None = None,
    ) -> None:
        self.output_format = output_format
        self.color = color
        self.media_url = media_url  # markdown: where the project's files are served
        self.stop = stop
        self.progress = progress
        self.plan_shown = (
            False  # after this, stdout holds the plan: nothing replaces it
        )

    def banner(self, text: str) -> None:
        click.echo(text, err=self.output_format != "text")

    def notice(self, text: str) -> None:
        click.echo(text, err=True)

    def warn(self, text: str) -> None:
        click.echo(text, err=True)

    def show_plan(self, plan: Plan) -> None:
        # color=: click would strip the colours FORCE_COLOR asked for from a pipe
        text = render(
            plan, self.output_format, color=self.color, media_url=self.media_url
        )
        click.echo(text, nl=False, color=self.color)
        self.plan_shown = True

    def confirm(self, plan: Plan) -> None:
        if not sys.stdin.isatty():
            raise click.ClickException(
                "apply needs confirmation but there is no terminal to ask on; review "
                "the plan above and pass --auto-approve (as CI does)."
            )
        if not click.confirm("Apply these changes?", default=False):
            raise click.ClickException("Apply cancelled; nothing was changed.")

    @contextmanager
    def applying(self, plan: Plan) -> Iterator[Execution]:
        """Outcomes in plan order; a first signal stops new actions, a second one
        exits at once (the lockfile already holds every completed action)."""
        if self.stop is None:
            raise RuntimeError("TerminalHooks needs the StopSignal to apply")
        done: list[Outcome] = []
        total = len(plan.actions)
        printer = InPlanOrder(plan, _line)

        def stopping(signum: int) -> None:
            _line(
                f"\n{signal_name(signum)}: stopping; no new action starts, the ones "
                "in flight finish and are recorded (signal again to exit at once).",
                err=True,
            )

        def exit_at_once(signum: int) -> None:
            printer.flush()
            _line(
                f"{signal_name(signum)}: exiting at once after {len(done)} of {total} "
                "completed actions. The lockfile records every one of them, and any "
                "push still in flight as pending: the next plan settles it by listing "
                "the page (never by pushing again). Run `statesync apply` to finish.",
                err=True,
            )
            exit_now(128 + signum)

        with (
            self.progress("Applying", total) as advance,
            self.stop.draining(stopping, exit_at_once) as stop_event,
        ):

            def on_outcome(outcome: Outcome) -> None:
                done.append(outcome)
                printer.add(outcome)
                advance(1)

            try:
                yield Execution(stop=stop_event, on_outcome=on_outcome)
            finally:
                printer.flush()


def render(
    plan: Plan, output_format: str, *, color: bool = False, media_url: str | None = None
) -> str:
    """text (``color``: with ANSI colours), markdown for a PR comment (``media_url``:
    where the project's files are, to show images), or json."""
    if output_format == "markdown":
        from statesync.render.markdown import render_markdown

        return render_markdown(plan, media_url=media_url)
    if output_format == "json":
        from statesync.render.json import render_json

        return render_json(plan)
    from statesync.render.text import render_plan

    return render_plan(plan, color=color)


def _line(text: str, *, err: bool = False) -> None:
    """One line through ``sys.stdout``/``sys.stderr`` as they are now: while a bar is
    drawn they are rich's proxies, which print above the bar (``click.echo`` would
    write past them, to the stream's binary buffer, and glue the line to the bar)."""
    print(text, file=sys.stderr if err else sys.stdout, flush=True)
