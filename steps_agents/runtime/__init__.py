"""How work runs, whatever the stage: executors for fan-out work and the progress line."""
