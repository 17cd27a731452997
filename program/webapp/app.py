"""The web application: a small HTTP server from the Python standard library.

User data installs this file on each instance and runs it as a systemd service, which reads
`/etc/webapp/webapp.env`. It must run on Amazon Linux 2023's system Python (3.9): standard
library only, no syntax newer than 3.9.

Environment:
  ENVIRONMENT  the environment name (reported, never interpreted)
  DEBUG        true/false: adds harmless diagnostic detail to every response (never the
               request's headers or cookies, nor the host's name, process or Python)
  LOG_LEVEL    DEBUG, INFO, WARNING, ERROR or CRITICAL
  PORT         the port to listen on (default 80)
  HOST         the address to bind (default all interfaces)
"""

from __future__ import annotations

import html
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

VERSION = "1.0.0"
HEALTH_PATH = "/health"
LOGGER_NAME = "webapp"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


class ConfigError(ValueError):
    """The environment the service was started with is invalid."""


@dataclass(frozen=True)
class AppConfig:
    """What the service reads from its environment, validated once at start."""

    environment: str
    debug: bool
    log_level: str
    port: int = 80
    # Every interface: the instance's security group decides who may connect.
    host: str = "0.0.0.0"  # noqa: S104
    version: str = VERSION

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AppConfig:
        """Parse the service's environment; ConfigError says which variable is wrong."""
        debug_text = env.get("DEBUG", "false").strip().lower()
        if debug_text not in _TRUE | _FALSE:
            raise ConfigError(f"DEBUG={env['DEBUG']!r} is not a boolean; use true or false")
        level = env.get("LOG_LEVEL", "INFO").strip().upper()
        if level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL={level!r} is not one of {', '.join(LOG_LEVELS)}")
        port_text = env.get("PORT", "80").strip()
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ConfigError(f"PORT={port_text!r} is not a port number")
        return cls(
            environment=env.get("ENVIRONMENT", "unknown").strip() or "unknown",
            debug=debug_text in _TRUE,
            log_level=level,
            port=int(port_text),
            host=env.get("HOST", cls.host).strip() or cls.host,
        )


def health(config: AppConfig) -> dict[str, Any]:
    """The health document the load balancer and people read."""
    return {
        "status": "ok",
        "environment": config.environment,
        "debug": config.debug,
        "log_level": config.log_level,
        "version": config.version,
    }


def diagnostics(config: AppConfig, method: str, path: str) -> dict[str, Any]:
    """Extra detail for DEBUG, which development serves to the internet: only what the app
    itself decided and the request's method and path (no query).

    Never the request's headers: echoing them hands a visitor's cookies and tokens to any page
    that can make the browser fetch this one, and shows what a proxy adds. Never the host's
    name, process id or Python version either: they only help an attacker.
    """
    return {
        "request_method": method,
        "request_path": path,
        "version": config.version,
        "log_level": config.log_level,
    }


def make_handler(config: AppConfig, logger: logging.Logger) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to this configuration."""

    class Handler(BaseHTTPRequestHandler):
        # No Python/library version in the Server header.
        server_version = "webapp"
        sys_version = ""

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if config.debug:
                # Not the headers: the journal is no place for visitors' cookies and tokens.
                logger.debug("request %s %s", self.command, path)
            if path == HEALTH_PATH:
                document = health(config)
                if config.debug:
                    document["diagnostics"] = diagnostics(config, self.command, path)
                self._send(200, "application/json", json.dumps(document, sort_keys=True))
            elif path == "/":
                self._send(200, "text/html; charset=utf-8", self._page(path))
            else:
                self._send(404, "application/json", json.dumps({"error": "not found"}))

        def do_HEAD(self) -> None:
            self.do_GET()

        def _page(self, path: str) -> str:
            rows = "".join(
                f"<tr><th>{html.escape(str(key))}</th><td>{html.escape(str(value))}</td></tr>"
                for key, value in health(config).items()
            )
            detail = ""
            if config.debug:
                pretty = json.dumps(diagnostics(config, self.command, path), indent=2)
                detail = f"<h2>Diagnostics (DEBUG)</h2><pre>{html.escape(pretty)}</pre>"
            title = f"webapp - {html.escape(config.environment)}"
            return (
                f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
                f"</head><body><h1>{title}</h1><table>{rows}</table>{detail}</body></html>"
            )

        def _send(self, status: int, content_type: str, body: str) -> None:
            payload = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            logger.info("%s %s", self.address_string(), format % args)

    return Handler


def create_server(config: AppConfig, logger: logging.Logger) -> ThreadingHTTPServer:
    """A server bound to config.host:config.port (port 0 picks a free one)."""
    server = ThreadingHTTPServer((config.host, config.port), make_handler(config, logger))
    server.daemon_threads = True
    return server


def configure_logging(config: AppConfig) -> logging.Logger:
    """The service's logger at LOG_LEVEL, writing to stderr (the journal, under systemd)."""
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(config.log_level)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
    return logger


def main(env: Mapping[str, str] | None = None) -> int:
    """Run until SIGTERM/SIGINT; exit 2 with one message if the environment is invalid."""
    try:
        config = AppConfig.from_env(os.environ if env is None else env)
    except ConfigError as error:
        print(f"webapp: {error}", file=sys.stderr)
        return 2
    logger = configure_logging(config)
    server = create_server(config, logger)
    logger.info(
        "webapp %s listening on %s:%d (environment=%s debug=%s log_level=%s)",
        config.version,
        config.host,
        server.server_address[1],
        config.environment,
        config.debug,
        config.log_level,
    )
    logger.debug("debug logging is on")

    def stop(signum: int, _frame: object) -> None:
        logger.info("signal %d: shutting down", signum)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
