"""Looking at a report the way a user does: headless Chromium renders it (DOM and screenshot)."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


# --------------------------------------------------------------------------- chromium


def _find_chromium() -> str | None:
    for candidate in (CHROMIUM, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class Rendered:
    def __init__(self, dom: str, screenshot: Path) -> None:
        self.dom = dom
        self.screenshot = screenshot
        self.text = visible_text(dom)


def render(chromium: str, html_path: str, out_dir: Path, height: int = 3000) -> Rendered:
    """Load the report from disk in headless Chromium: the DOM it built and a screenshot."""
    out_dir.mkdir(parents=True, exist_ok=True)
    url = Path(html_path).resolve().as_uri()
    common = [chromium, *CHROMIUM_FLAGS, f"--window-size=1280,{height}"]
    shot = out_dir / "report.png"
    # one browser start does both (each start costs seconds)
    dom = subprocess.run(
        [
            *common,
            f"--user-data-dir={out_dir / 'profile'}",
            f"--screenshot={shot}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
        text=True,
    ).stdout
    assert shot.exists(), "chromium wrote no screenshot"
    assert "<html" in dom, "chromium dumped no DOM"
    return Rendered(dom, shot)


class _Text(HTMLParser):
    """The text a person sees: no <style>, <script>, <head> or SVG tooltips (<title>)."""

    HIDDEN = {"style", "script", "title", "head"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0
        self.closed_details = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(dom: str) -> str:
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


# --------------------------------------------------------------------------- runs


def copy_run(run_dir: str, dest: Path) -> str:
    shutil.copytree(run_dir, dest)
    return str(dest)
