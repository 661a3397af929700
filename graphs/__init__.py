"""The LangGraph state machines of steps-agents (installed as ``steps_agents.graphs``)."""
