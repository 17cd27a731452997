"""The web application, served on loopback with different DEBUG and LOG_LEVEL values."""

from __future__ import annotations

import ast
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from program.webapp import app
from program.webapp.user_data import APP_FILE
from shared.settings import LOG_LEVELS

Get = Callable[..., tuple[int, dict[str, str], str]]
# What a browser or client may send that is nobody else's business: a debug page must not echo it.
SECRET_HEADERS = {
    "Cookie": "session=cookie-secret-1",
    "Authorization": "Bearer token-secret-2",
    "X-Forwarded-For": "198.51.100.7",
}


@contextmanager
def serving(env: dict[str, str]) -> Iterator[Get]:
    """The app on 127.0.0.1 (ephemeral port) with `env`; yields a GET helper."""
    config = app.AppConfig.from_env({"HOST": "127.0.0.1", "PORT": "0", **env})
    logger = app.configure_logging(config)
    server = app.create_server(config, logger)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    port = server.server_address[1]

    def get(path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
        try:
            # A Request object hides its scheme from the linter: it is http on loopback.
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    try:
        yield get
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def health(get: Get, headers: dict[str, str] | None = None) -> dict[str, Any]:
    status, headers, body = get(app.HEALTH_PATH, headers)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    document = json.loads(body)
    assert isinstance(document, dict)
    return document


def test_health_reports_environment_debug_level_and_version_without_diagnostics(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=app.LOGGER_NAME)
    with serving({"ENVIRONMENT": "production", "DEBUG": "false", "LOG_LEVEL": "info"}) as get:
        document = health(get)
    assert document == {
        "status": "ok",
        "environment": "production",
        "debug": False,
        "log_level": "INFO",
        "version": app.VERSION,
    }
    messages = [r.getMessage() for r in caplog.records if r.name == app.LOGGER_NAME]
    assert any("GET /health" in message for message in messages)
    assert not [r for r in caplog.records if r.levelno == logging.DEBUG]


def test_debug_adds_diagnostics_to_responses_and_logs_requests_in_detail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=app.LOGGER_NAME)
    with serving({"ENVIRONMENT": "development", "DEBUG": "true", "LOG_LEVEL": "DEBUG"}) as get:
        document = health(get)
        status, _, page = get("/")
    assert document["debug"] is True
    assert document["log_level"] == "DEBUG"
    assert document["diagnostics"] == {
        "request_method": "GET",
        "request_path": app.HEALTH_PATH,
        "version": app.VERSION,
        "log_level": "DEBUG",
    }
    assert status == 200
    assert "Diagnostics (DEBUG)" in page
    debug_lines = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(line.startswith("request GET /health") for line in debug_lines)


def test_debug_never_echoes_request_headers_or_cookies_nor_the_hosts_details(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Development serves DEBUG to the internet: a page that echoed the request would hand any
    # visitor's cookies and tokens (or a proxy's view of them) to whoever can inject a link.
    caplog.set_level(logging.DEBUG, logger=app.LOGGER_NAME)
    with serving({"ENVIRONMENT": "development", "DEBUG": "true", "LOG_LEVEL": "DEBUG"}) as get:
        _, _, body = get(app.HEALTH_PATH, SECRET_HEADERS)
        _, _, page = get("/?token=query-secret-3", SECRET_HEADERS)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for shown in (body, page, logged):
        for value in SECRET_HEADERS.values():
            assert value not in shown
    for shown in (body, page):
        assert "query-secret-3" not in shown  # the path is shown without its query
        for fact in ("hostname", "pid", "python", "headers", str(os.getpid())):
            assert fact not in shown.lower()
        assert "request_path" in shown


def test_warning_level_keeps_request_logs_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger=app.LOGGER_NAME)
    with serving({"ENVIRONMENT": "production", "DEBUG": "false", "LOG_LEVEL": "WARNING"}) as get:
        health(get)
    assert [r for r in caplog.records if r.name == app.LOGGER_NAME] == []


def test_page_names_the_environment_escaped_and_hides_diagnostics_without_debug() -> None:
    with serving({"ENVIRONMENT": "<dev>", "DEBUG": "no", "LOG_LEVEL": "ERROR"}) as get:
        status, headers, page = get("/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert "&lt;dev&gt;" in page
    assert "<dev>" not in page
    assert "Diagnostics" not in page


def test_unknown_paths_are_404_and_headers_reveal_no_versions() -> None:
    with serving({"ENVIRONMENT": "development", "DEBUG": "false"}) as get:
        status, headers, body = get("/admin")
    assert status == 404
    assert json.loads(body) == {"error": "not found"}
    assert "Python" not in headers["Server"]
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
    ],
)
def test_invalid_environment_is_refused_naming_the_variable(
    env: dict[str, str], problem: str
) -> None:
    with pytest.raises(app.ConfigError, match=problem):
        app.AppConfig.from_env(env)


def test_service_entry_point_serves_and_stops_on_sigterm() -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOST": "127.0.0.1",
        "PORT": "0",
        "ENVIRONMENT": "development",
        "DEBUG": "true",
        "LOG_LEVEL": "DEBUG",
    }
    process = subprocess.Popen(
        [sys.executable, str(APP_FILE)], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        port = re.search(r"listening on 127\.0\.0\.1:(\d+)", line)
        assert port, line
        with urllib.request.urlopen(f"http://127.0.0.1:{port.group(1)}/health", timeout=5) as r:
            document = json.loads(r.read())
        assert document["environment"] == "development"
        assert document["debug"] is True
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        if process.stderr:
            process.stderr.close()


def test_service_exits_2_with_one_message_on_a_bad_environment() -> None:
    result = subprocess.run(
        [sys.executable, str(APP_FILE)],
        env={"LOG_LEVEL": "loud"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("webapp: LOG_LEVEL='LOUD'")
    assert "Traceback" not in result.stderr


def test_app_runs_on_amazon_linux_2023s_python_3_9() -> None:
    source = APP_FILE.read_text()
    ast.parse(source, feature_version=(3, 9))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (
            node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")]
        )
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}


def test_app_accepts_exactly_the_log_levels_the_settings_accept() -> None:
    # The app keeps its own copy (it is copied onto the instances, standard library only), so
    # this is where a level added to one side but not the other is caught.
    assert app.LOG_LEVELS == LOG_LEVELS
    for level in LOG_LEVELS:
        assert app.AppConfig.from_env({"LOG_LEVEL": level.lower()}).log_level == level
