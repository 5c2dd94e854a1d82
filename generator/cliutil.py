"""Shared CLI plumbing: bad input becomes one line on stderr and a non-zero exit, never a
traceback. Used by the ``captchagen``, ``crnn`` and ``bench`` entry points."""

from __future__ import annotations

import shlex
import sys

import typer

from .errors import UserError

EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


def fail(prog: str, message: str, code: int = EXIT_USER_ERROR) -> None:
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(code)


_invoked: list[str] = []


def _version(value: bool) -> None:
    if value:
        from .version import RENDER_VERSION, __version__

        typer.echo(f"captchabench {__version__} (render version {RENDER_VERSION})")
        raise typer.Exit()


def make_app(name: str, help_text: str) -> typer.Typer:
    """A Typer app configured the same way for every captchabench command: help on a bare
    call, --version, shell completion (--install-completion / --show-completion)."""
    app = typer.Typer(
        name=name,
        help=help_text,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
    )

    @app.callback()
    def _common(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version."
        ),
    ) -> None:
        pass

    _common.__doc__ = help_text
    return app


def command_line() -> str:
    """The command being run, as a shell would type it (for reports and run configs)."""
    return shlex.join(_invoked)


def run_app(app: typer.Typer, prog: str, argv: list[str] | None = None) -> None:
    _invoked[:] = [prog, *(sys.argv[1:] if argv is None else argv)]
    try:
        # Without standalone mode typer *returns* an Exit's code (its Ctrl-C becomes 130).
        code = app(args=argv, prog_name=prog, standalone_mode=False)
    except typer.Exit as done:
        code = done.exit_code
    except typer.TyperException as err:  # usage errors: unknown option, bad value type, …
        if not err.format_message():  # a bare command: help was printed, nothing went wrong
            raise SystemExit(0) from None
        fail(prog, f"{err.format_message()} (see {prog} --help)", err.exit_code or 2)
    except typer.Abort:
        fail(prog, "interrupted", EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        fail(prog, "interrupted; re-run the same command to resume", EXIT_INTERRUPTED)
    except UserError as err:  # some carry their own status (crnn.stopping: 130, interrupted)
        fail(prog, str(err), getattr(err, "exit_code", EXIT_USER_ERROR))
    except OSError as err:
        # "PATH: reason", the way cp and mkdir say it.
        reason = err.strerror or str(err)
        fail(prog, f"{err.filename}: {reason}" if err.filename else reason, 1)
    if code == EXIT_INTERRUPTED:
        fail(prog, "interrupted; re-run the same command to resume", EXIT_INTERRUPTED)
    if isinstance(code, int) and code:
        raise SystemExit(code)
