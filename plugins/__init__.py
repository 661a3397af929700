"""Built-in plugins of steps-agents, each written exactly as a third-party plugin would be.

They are listed in :data:`steps_agents.plugin_manager.BUILTIN_PLUGINS`; a third-party plugin
registers the same hooks through the ``steps_agents`` entry-point group.
"""
