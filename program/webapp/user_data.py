"""Rendering the instances' user data: install the web app as a systemd service, heartbeat.

User data is stored in clear text in the Pulumi state and is readable by anyone who can describe
the instance, so it carries configuration only (environment name, DEBUG, LOG_LEVEL, the bucket
and key the heartbeat uses), never a secret. Every value is checked against a conservative
character set before it is written into the script, so an unexpected upstream output can never
change what the script does.
"""

from __future__ import annotations

import base64
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

from program.webapp.app import HEALTH_PATH, VERSION
from shared.limits import KMS_KEY_ARN_PATTERN
from shared.settings import LOG_LEVELS

APP_FILE = Path(__file__).with_name("app.py")
# AWS caps user data at 16 KB before base64 encoding.
USER_DATA_MAX_BYTES = 16 * 1024
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9:/._-]+$")


@dataclass(frozen=True)
class AppEnvironment:
    """The values user data writes into the service's EnvironmentFile."""

    environment: str
    debug: bool
    log_level: str
    port: int
    region: str
    bucket_name: str
    kms_key_arn: str
    version: str = VERSION

    def __post_init__(self) -> None:
        for name in ("environment", "region", "bucket_name", "version"):
            value = getattr(self, name)
            if not _SAFE_VALUE.match(value):
                raise ValueError(f"{name} {value!r} has characters user data must not carry")
        if not KMS_KEY_ARN_PATTERN.match(self.kms_key_arn):
            raise ValueError(f"kms_key_arn {self.kms_key_arn!r} is not a KMS key ARN")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        if not 1 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not a port number")

    def env_file(self) -> str:
        """The systemd EnvironmentFile (also sourced by the heartbeat script)."""
        values = {
            "ENVIRONMENT": self.environment,
            "DEBUG": "true" if self.debug else "false",
            "LOG_LEVEL": self.log_level,
            "PORT": str(self.port),
            "APP_VERSION": self.version,
            "APP_BUCKET": self.bucket_name,
            "APP_KMS_KEY_ARN": self.kms_key_arn,
            "AWS_REGION": self.region,
        }
        return "".join(f"{key}={value}\n" for key, value in values.items())


_SERVICE_UNIT = """\
[Unit]
Description=webapp (Python standard-library web server)
After=network-online.target
Wants=network-online.target

[Service]
EnvironmentFile=/etc/webapp/webapp.env
ExecStart=/usr/bin/python3 /opt/webapp/app.py
# No account to manage and nothing writable; binding port 80 is the one privilege it keeps.
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
Restart=on-failure
RestartSec=2

[Install]
WantedBy=multi-user.target
"""

_HEARTBEAT_UNIT = """\
[Unit]
Description=webapp boot heartbeat into the application bucket
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
ExecStart=/usr/local/bin/webapp-heartbeat
Restart=on-failure
RestartSec=15

[Install]
WantedBy=multi-user.target
"""

# Writes heartbeats/<instance-id>.json with SSE-KMS under the customer key: proves the
# instance role, the bucket policy and the key policy together on every boot.
_HEARTBEAT_SCRIPT = """\
#!/bin/bash
set -euo pipefail
# shellcheck disable=SC1091
. /etc/webapp/webapp.env
imds=http://169.254.169.254/latest
token=$(curl -sf -X PUT "$imds/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')
instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")
body=$(mktemp)
trap 'rm -f "$body"' EXIT
printf '{"instance_id":"%s","environment":"%s","version":"%s","booted_at":"%s"}\\n' \\
  "$instance_id" "$ENVIRONMENT" "$APP_VERSION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$body"
aws s3api put-object --region "$AWS_REGION" --bucket "$APP_BUCKET" \\
  --key "heartbeats/$instance_id.json" --body "$body" --content-type application/json \\
  --server-side-encryption aws:kms --ssekms-key-id "$APP_KMS_KEY_ARN"
"""


def render_user_data(app: AppEnvironment) -> str:
    """The first-boot script: files, units, then start the service and the heartbeat.

    Deterministic for the same input, so instances are replaced only when something they run
    changes (the instances set user_data_replace_on_change: DEBUG or LOG_LEVEL rolls them).
    """
    # Compressed to stay far below the 16 KB limit; mtime=0 keeps the bytes deterministic.
    app_source = base64.encodebytes(gzip.compress(APP_FILE.read_bytes(), mtime=0)).decode("ascii")
    script = f"""\
#!/bin/bash
# webapp first boot (rendered by program/webapp/user_data.py): configuration only, no secrets.
set -euo pipefail
umask 022
install -d -m 0755 /opt/webapp /etc/webapp

base64 -d <<'WEBAPP_SOURCE' | gunzip > /opt/webapp/app.py
{app_source}WEBAPP_SOURCE

cat > /etc/webapp/webapp.env <<'WEBAPP_ENV'
{app.env_file()}WEBAPP_ENV

cat > /etc/systemd/system/webapp.service <<'WEBAPP_UNIT'
{_SERVICE_UNIT}WEBAPP_UNIT

cat > /usr/local/bin/webapp-heartbeat <<'WEBAPP_HEARTBEAT'
{_HEARTBEAT_SCRIPT}WEBAPP_HEARTBEAT
chmod 0755 /usr/local/bin/webapp-heartbeat

cat > /etc/systemd/system/webapp-heartbeat.service <<'WEBAPP_HEARTBEAT_UNIT'
{_HEARTBEAT_UNIT}WEBAPP_HEARTBEAT_UNIT

systemctl daemon-reload
systemctl enable --now webapp.service webapp-heartbeat.service
# The load balancer's health check (and people) read {HEALTH_PATH} on port {app.port}.
"""
    size = len(script.encode("utf-8"))
    if size > USER_DATA_MAX_BYTES:
        raise ValueError(f"user data is {size} bytes; EC2 accepts at most {USER_DATA_MAX_BYTES}")
    return script
