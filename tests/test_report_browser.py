"""The quickstart's report.html in a real headless Chromium, opened from file:// with no network.

Debian's ``chromium`` package (``/usr/bin/chromium``; ``.ci/run`` installs it when missing) is
driven through pip's ``playwright`` with ``executable_path``: playwright never downloads a browser
of its own here. The test skips, saying why, only when no Chromium binary is present.

Checked: no console error and no uncaught script error; no request other than the file itself;
a collapsed community expands on click; the search finds a skill; the k-curve has one point per
k and agent. A screenshot is saved (to ``$STEPS_REPORT_SCREENSHOT`` when set, else tmp).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from helpers_reporting import run_small_quickstart

from steps_agents.reporting import load_inputs
from steps_agents.reporting.evaluation_section import named_agents
from steps_agents.taxonomy.artifact import load_taxonomy

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium binary on PATH: `apt-get install -y chromium` (.ci/run does this"
        " where apt is available)",
    ),
]


def test_quickstart_report_in_headless_chromium(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is in the dev extra: pip install -e '.[dev]'"
    )
    out = run_small_quickstart(tmp_path_factory)
    page_file = out / "report.html"
    url = page_file.resolve().as_uri()
    skill = sorted(load_taxonomy(out / "taxonomy.json").skills)[len("abc")]
    inputs = load_inputs([out])  # report.json, and any other evaluation report beside it
    expected_points = {
        (name, str(r.k))
        for name, summary, _ in named_agents(inputs.eval_reports, inputs.eval_names)
        for r in summary.per_k
    }

    errors: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile every run
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1360, "height": 1000},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(url, wait_until="load")

            # The tree: a top-level community starts collapsed and expands on click.
            community = page.locator("#taxonomy-tree li.depth-1 > details").first
            assert community.get_attribute("open") is None
            child = community.locator("> ul > li").first  # a sub-community or a skill
            assert not child.is_visible()
            community.locator("> summary").click()
            assert community.get_attribute("open") is not None
            assert child.is_visible()

            # The search: typing a skill's name shows and marks its leaf, hides the others.
            page.fill("#skill-search", skill)
            hit = page.locator(f'#taxonomy-tree li.leaf.match[data-skill="{skill}"]')
            assert hit.count() == 1 and hit.is_visible()
            assert "match" in page.inner_text("#search-status")
            hidden = page.locator("#taxonomy-tree li.leaf.hidden").count()
            assert hidden >= page.locator("#taxonomy-tree li.leaf").count() - 3
            page.fill("#skill-search", "")
            assert page.locator("#taxonomy-tree li.leaf.hidden").count() == 0

            # The k-curve: one point per (agent, k), nothing else.
            points = page.locator("#k-curve circle.point")
            seen = [
                (points.nth(i).get_attribute("data-series"), points.nth(i).get_attribute("data-x"))
                for i in range(points.count())
            ]
            assert len(seen) == len(expected_points) and set(seen) == expected_points

            shot = Path(os.environ.get("STEPS_REPORT_SCREENSHOT") or tmp_path / "report.png")
            page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes().startswith(b"\x89PNG")
        finally:
            context.close()

    assert errors == [], f"console errors: {errors}"
    assert requests and all(r == url for r in requests), f"requests left the file: {requests}"
