"""moto's standalone server on a free loopback port: a real S3/KMS/STS HTTP API for tests.

Used by the state tests (bootstrap, history) and the engine tier, where the real Pulumi CLI
keeps its state in the server's S3 and encrypts secrets with its KMS. Started and stopped by the
fixtures, on 127.0.0.1 only; moto picks the port (port 0), so parallel runs never collide.
moto keeps its accounts in process-wide memory, shared by every server of the process: each
server starts empty (`reset`), and a test that needs an empty account calls `reset` itself.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.core.config import default_user_config
from moto.ec2.models.launch_templates import LaunchTemplateVersion
from moto.ec2.utils import parse_user_data
from moto.iam import models as iam_models
from moto.server import ThreadedMotoServer

LOOPBACK = "127.0.0.1"
# The AWS managed policies the emulator's accounts have (program/components/instance_role.py).
AWS_MANAGED_POLICIES = ("AmazonSSMManagedInstanceCore",)
# The account moto reports for its default credentials (STS GetCallerIdentity).
MOTO_ACCOUNT = "123456789012"


def _keep_version_user_data_encoded() -> None:
    """moto 5.2.5 keeps a CreateLaunchTemplateVersion's UserData as a plain string where its
    other paths keep its base64 type, and an Auto Scaling group launching from that version
    then fails an assertion (HTTP 500): wrap it as CreateLaunchTemplate does."""
    original = LaunchTemplateVersion.__init__
    if getattr(original, "wrapped", False):
        return

    def init(
        self: LaunchTemplateVersion, template: Any, number: int, data: Any, description: str
    ) -> None:
        if isinstance(data.get("UserData"), str):
            data = {**data, "UserData": parse_user_data(data["UserData"])}
        original(self, template, number, data, description)

    init.wrapped = True  # type: ignore[attr-defined]
    LaunchTemplateVersion.__init__ = init  # type: ignore[method-assign]


def _load_managed_policies() -> None:
    """Give every account the AWS managed policies our programs attach. moto leaves them out
    unless told (its config API does not take this setting), and loading all of them costs
    each new account about two seconds: keep only ours."""
    data = json.loads(iam_models.aws_managed_policies_data)  # type: ignore[attr-defined]
    kept = {name: data[name] for name in AWS_MANAGED_POLICIES}
    iam_models.aws_managed_policies_data = json.dumps(kept)  # type: ignore[attr-defined]
    default_user_config["iam"] = {"load_aws_managed_policies": True}


@contextmanager
def moto_server() -> Iterator[str]:
    """Yield the endpoint URL (http://127.0.0.1:<port>) of a fresh server; stop it after."""
    # One log line per request would bury a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _keep_version_user_data_encoded()
    _load_managed_policies()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        reset(url)
        yield url
    finally:
        server.stop()


def reset(url: str) -> None:
    """Forget every bucket, key and account the server's process holds (moto's reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    # The URL is the loopback server this module started (http only).
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()
