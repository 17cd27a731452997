"""The app's page as a visitor sees it: `/` rendered by headless Chromium, screenshot kept.

The screenshot goes to `.artifacts/webapp/` (git-ignored; CI keeps it as a test artifact).
Skipped only where no Chromium is installed; CI installs it (`.ci/run`).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from program.webapp import app
from tooling.diagram_pictures import CHROMIUM_FLAGS

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / ".artifacts" / "webapp"
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
# The flags the pictures' renderer starts Chromium with (headless, nothing reaching out).
FLAGS = CHROMIUM_FLAGS

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium): CI installs it"
)


def _browse(url: str, screenshot: Path) -> str:
    """The DOM Chromium built for `url` (after its scripts), and a screenshot of it."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        common = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--window-size=1012,600"]
        dom = subprocess.run(
            [*common, "--dump-dom", url], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        subprocess.run(
            [*common, f"--screenshot={screenshot}", url],
            capture_output=True,
            timeout=60,
            check=True,
        )
    return dom


@contextmanager
def page_url(env: dict[str, str]) -> Iterator[str]:
    """The app on 127.0.0.1 (ephemeral port) with `env`: the URL of its page."""
    config = app.AppConfig.from_env({"HOST": "127.0.0.1", "PORT": "0", **env})
    server = app.create_server(config, app.configure_logging(config))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.parametrize(
    ("environment", "debug"), [("production", "false"), ("development", "true")]
)
def test_the_page_a_visitor_sees(environment: str, debug: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / f"{environment}.png"
    screenshot.unlink(missing_ok=True)
    with page_url({"ENVIRONMENT": environment, "DEBUG": debug, "LOG_LEVEL": "ERROR"}) as url:
        dom = _browse(url, screenshot)

    assert f"<h1>webapp - {environment}</h1>" in dom
    assert f"<title>webapp - {environment}</title>" in dom
    assert "<th>environment</th><td>" + environment in dom
    # DEBUG is off in production: no diagnostics for a visitor to see.
    assert ("Diagnostics (DEBUG)" in dom) is (debug == "true")
    # Nothing broken: the page is complete HTML, with no error text where content should be.
    assert dom.rstrip().endswith("</html>")
    assert "Traceback" not in dom
    assert "not found" not in dom
    assert screenshot.stat().st_size > 1000
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
