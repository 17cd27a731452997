"""`invoke graph --env E --pictures docs`: the environment's diagrams as PNGs, as GitHub shows them.

Each Mermaid picture of `orchestration.plan.pictures` is rendered by the mermaid package
(docs/tooling: `npm ci --prefix docs/tooling`) in headless Chromium, in a column 1,012 px wide
(GitHub's content width), scaled the way GitHub scales a wide diagram: what you see in the PNG
is what a reviewer sees. The Mermaid source is written beside each PNG (`.mmd`), so a test can
tell when the pictures are older than the code that draws them.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from shared.paths import REPO_ROOT

WIDTH = 1012
MERMAID_JS = REPO_ROOT / "docs" / "tooling" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


class PictureError(RuntimeError):
    """The pictures cannot be rendered here (no Chromium, no mermaid package)."""


def chromium() -> str:
    """The Chromium executable; PictureError when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise PictureError("no chromium on PATH (Debian: apt-get install chromium)")


def _page(mermaid: str) -> str:
    if not MERMAID_JS.is_file():
        raise PictureError(f"{MERMAID_JS} is missing: run `npm ci --prefix docs/tooling`")
    return f"""<!doctype html><html><head><meta charset="utf-8">
<style>body{{margin:0;background:#fff;
font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif}}
#box{{width:{WIDTH}px;padding:0}}</style>
<script src="{MERMAID_JS.as_uri()}"></script></head><body><div id="box">
<pre class="mermaid">{html.escape(mermaid)}</pre></div>
<script>
mermaid.initialize({{startOnLoad:false, securityLevel:"loose", flowchart:{{useMaxWidth:true}}}});
mermaid.run().then(() => {{
  const svg = document.querySelector("#box svg");
  const box = svg.getBoundingClientRect();
  const vb = svg.viewBox.baseVal;
  document.body.setAttribute("data-size", JSON.stringify(
    {{height: Math.ceil(box.height), natural: vb.width, shown: box.width}}));
}}).catch(e => document.body.setAttribute("data-error", String(e)));
</script></body></html>"""


def _chromium(arguments: list[str], profile: str) -> str:
    result = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise PictureError(f"chromium failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def render_png(mermaid: str, target: Path) -> dict[str, float]:
    """Render `mermaid` at GitHub's width into `target`; the sizes (px) it was shown at."""
    with tempfile.TemporaryDirectory() as work:
        page = Path(work) / "picture.html"
        page.write_text(_page(mermaid), encoding="utf-8")
        budget = ["--virtual-time-budget=10000", "--run-all-compositor-stages-before-draw"]
        dom = _chromium([*budget, "--dump-dom", page.as_uri()], f"{work}/profile")
        if error := re.search(r'data-error="([^"]*)"', dom):
            raise PictureError(f"mermaid refused the diagram: {html.unescape(error.group(1))}")
        size = re.search(r'data-size="([^"]*)"', dom)
        if not size:
            raise PictureError("mermaid did not render the diagram")
        sizes: dict[str, float] = json.loads(html.unescape(size.group(1)))
        window = f"--window-size={WIDTH},{int(sizes['height']) + 8}"
        _chromium([*budget, window, f"--screenshot={target}", page.as_uri()], f"{work}/profile")
    return sizes


def write_pictures(environment: str, directory: Path) -> list[Path]:
    """Plan `environment`, then write <env>-<view>.mmd and .png for each picture."""
    # Imported here: planning loads the Pulumi runtime.
    from orchestration.plan.cli import make_plan  # noqa: PLC0415
    from orchestration.plan.pictures import pictures  # noqa: PLC0415

    written = []
    for picture in pictures(make_plan(environment)):
        stem = directory / f"{environment}-{picture.name}"
        stem.with_suffix(".mmd").write_text(picture.mermaid + "\n", encoding="utf-8")
        sizes = render_png(picture.mermaid, stem.with_suffix(".png"))
        scale = sizes["shown"] / sizes["natural"] if sizes["natural"] else 1
        print(f"{stem}.png: {sizes['natural']:.0f} px wide, shown at {scale:.0%}")
        written.append(stem.with_suffix(".png"))
    return written
