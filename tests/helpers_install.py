"""Install a distribution into a scratch place for tests, reusing this environment's dependencies.

A fresh venv that sees the current environment's site-packages as a plain path (not a site dir,
so this checkout's editable-install hook is NOT active) lets a test prove that what a user gets
from ``pip install`` works on its own, without downloading anything.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def make_venv(root: Path) -> Path:
    """Create a venv at ``root`` whose Python also sees this environment's packages; return its bin/."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(root)
    bin_dir = root / "bin"
    py = bin_dir / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "_parent_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return bin_dir


def pip_install(bin_dir: Path, *args: str) -> None:
    """Run this environment's pip against the venv's interpreter, offline, no dependencies."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(bin_dir / "python"),
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            *args,
        ],
        check=True,
        capture_output=True,
        text=True,
    )


def build_wheel(source: Path, out_dir: Path) -> Path:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "-w",
            str(out_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = out_dir.glob("*.whl")
    return wheel
