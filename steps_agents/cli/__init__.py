"""The ``steps`` command: one subcommand per job, each in its own module.

Every :class:`~steps_agents.errors.StepsError` becomes one line on stderr and a non-zero exit code
(2 for bad input, 1 for a failed run, 130 when interrupted); never a traceback. An ``OSError``
that escapes a subcommand (disk full, permission denied, an output path under a file) is the
machine's answer, not a bug: it becomes one line naming the path, exit code 1. Any other
exception is a bug and keeps its traceback. ``STEPS_AGENTS_DEBUG=1`` shows the traceback of the
first two kinds too.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
from collections.abc import Sequence

from steps_agents.errors import StepsError
from steps_agents.fileformats import STEPS_AGENTS_VERSION

# Each module defines add_parser(subparsers) and sets a ``handler(args) -> int`` default.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "steps_agents.cli.taxonomy",
    "steps_agents.cli.select",
    "steps_agents.cli.synth",
    "steps_agents.cli.eval",
    "steps_agents.cli.report",
    "steps_agents.cli.plugins",
    "steps_agents.cli.quickstart",
    "steps_agents.cli.split",
    "steps_agents.cli.loop",
    "steps_agents.cli.world",
)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The ``steps`` parser. Given ``argv`` naming a subcommand, only that subcommand's module is
    imported: ``steps taxonomy`` then never loads the model stack (langchain, langgraph) that
    synth and eval need, which was about a second of every taxonomy run (``python -X importtime``).
    """
    parser = argparse.ArgumentParser(
        prog="steps",
        description="Skill taxonomies by structural entropy; k-skill data synthesis and evaluation.",
    )
    parser.add_argument(
        "--version", action="version", version=f"steps-agents {STEPS_AGENTS_VERSION}"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in _modules_for(argv):
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def _modules_for(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The subcommand module ``argv`` names (its first word), or all of them (help, typos)."""
    first = next((a for a in argv or () if not a.startswith("-")), None)
    named = f"steps_agents.cli.{first}"
    return (named,) if named in SUBCOMMAND_MODULES else SUBCOMMAND_MODULES


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args) or 0)
    except StepsError as exc:
        if debugging():
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted; rerun the same command (same --run-id) to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `steps ... | head` is not an error
        return 0
    except OSError as exc:
        if debugging():
            raise
        print(f"error: {describe_os_error(exc)}", file=sys.stderr)
        return 1


def debugging() -> bool:
    """``STEPS_AGENTS_DEBUG=1``: let errors propagate with their traceback (for bug reports)."""
    return os.environ.get("STEPS_AGENTS_DEBUG", "") not in ("", "0")


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an ``OSError`` (both paths of a failed rename), on one line."""
    reason = exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, FileExistsError) and exc.filename and os.path.isfile(exc.filename):
        reason = "is a file, but a directory is needed here"  # mkdir(exist_ok=True) on a file
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    if not paths:  # stdout, a pipe or a socket, not a named file
        if exc.errno == errno.ENOSPC:
            return "no space left on device while writing the output; free some space and rerun"
        return " ".join(f"{type(exc).__name__}: {reason}".split())
    text = f"{' -> '.join(paths)}: {reason}"
    return " ".join(f"{text}; check the path, its permissions and the free disk space".split())


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
