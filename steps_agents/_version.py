from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("steps-agents")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"
