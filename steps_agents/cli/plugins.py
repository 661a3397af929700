"""``steps plugins``: every plugin, its version, and the hooks and component names it provides."""

from __future__ import annotations

import argparse
import json
from typing import Any

from steps_agents.plugin_manager import default_plugin_manager, plugin_version
from steps_agents.registry import REGISTRATION_HOOKS, collect


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("plugins", help="list installed plugins and what they provide")
    p.add_argument("--json", action="store_true", help="print JSON for scripts")
    p.set_defaults(handler=run)


def describe_plugins() -> list[dict[str, Any]]:
    pm = default_plugin_manager()
    provided: dict[str, dict[str, list[str]]] = {}
    for kind in REGISTRATION_HOOKS:
        for reg in collect(kind, pm).values():
            provided.setdefault(reg.plugin_name, {}).setdefault(kind, []).append(reg.name)
    rows = []
    for name, plugin in pm.list_name_plugin():
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        rows.append(
            {
                "name": name,
                "version": plugin_version(pm, plugin),
                "hooks": hooks,
                "provides": provided.get(name, {}),
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
    return 0
