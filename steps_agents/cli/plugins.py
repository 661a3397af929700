"""``steps plugins``: every plugin, its version, and the hooks and component names it provides."""

from __future__ import annotations

import argparse
import json
from typing import Any

from steps_agents.fileformats import display_text
from steps_agents.plugin_manager import default_plugin_manager, plugin_version
from steps_agents.registry import REGISTRATION_HOOKS, PluginError, collect


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("plugins", help="list installed plugins and what they provide")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=run)
    commands = p.add_subparsers(dest="plugins_command", metavar="[new]")
    new = commands.add_parser(
        "new",
        help="write an installable plugin package whose chosen hooks already work",
        description="Write NAME/ with pyproject.toml (the steps_agents entry point), one working"
        " skeleton per chosen hook in src/ and a passing test per hook in tests/.",
    )
    new.add_argument("name", help="distribution name, e.g. toy-bank (module toy_bank)")
    new.add_argument(
        "--hooks",
        metavar="all|A,B",
        help="hooks to implement: all, or hook names (default register_skill_worlds)",
    )
    new.add_argument("-o", "--output", metavar="DIR", help="where to write (default ./NAME)")
    new.add_argument("--force", action="store_true", help="write into a non-empty directory")
    new.set_defaults(handler=run_new)


def describe_plugins() -> list[dict[str, Any]]:
    pm = default_plugin_manager()
    provided: dict[str, dict[str, list[str]]] = {}
    failures: list[PluginError] = []  # a broken plugin is listed with its error, not fatal
    for kind in REGISTRATION_HOOKS:
        for reg in collect(kind, pm, failures).values():
            provided.setdefault(reg.plugin_name, {}).setdefault(kind, []).append(reg.name)
    errors: dict[str, list[str]] = {}
    for failure in failures:
        errors.setdefault(failure.plugin, []).append(str(failure))
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "version": plugin_version(pm, plugin),
                "hooks": hooks,
                "provides": provided.get(name, {}),
                "errors": errors.get(name, []),
            }
        )
    return rows


def run(args: argparse.Namespace) -> int:
    rows = describe_plugins()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']} {row['version']}")
        print(f"  hooks: {', '.join(row['hooks']) or '-'}")
        for kind, names in row["provides"].items():
            print(f"  {kind}: {', '.join(names)}")
        for error in row["errors"]:
            print(f"  error: {display_text(error)}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from steps_agents.cli.plugins_new import resolve_hooks, write_plugin_package

    hooks = resolve_hooks(args.hooks)
    files = write_plugin_package(args.output or args.name, args.name, hooks, overwrite=args.force)
    for path in files:
        print(f"wrote {path}")
    print(
        f"{len(hooks)} hooks: {', '.join(hooks)}; next: pip install -e '{files[0].parent}[test]' && pytest"
    )
    return 0
