"""``python -m steps_agents`` runs the ``steps`` command."""

from steps_agents.cli import main

raise SystemExit(main())
