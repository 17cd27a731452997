"""moto's standalone server on a free loopback port: the one emulated AWS of the tests.

Used by the state tests (bootstrap, history), the verify tests and the engine tier, where the
real Pulumi CLI keeps its state in the server's S3, encrypts secrets with its KMS, and the
stand-in provider deploys into it. Started once per session (the `moto_url` fixture) in a
process of its own, on 127.0.0.1 only; moto picks the port (port 0), so parallel runs never
collide. Tests keep apart by account (tests/engine/emulated_account.py); a test that needs the
whole server empty calls `reset`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from moto.core.config import default_user_config
from moto.ec2.models.launch_templates import LaunchTemplateVersion
from moto.ec2.utils import parse_user_data
from moto.iam import models as iam_models
from moto.s3.models import FakeBucket
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


def _tolerate_string_principals_in_log_targets() -> None:
    """moto 5.2.5 reads every statement's Principal as a mapping when it checks a logging
    target's bucket policy, and answers HTTP 500 on the common `"Principal": "*"` (our TLS-only
    Deny); AWS accepts it. Such a statement never grants the logging service: check without it."""
    original = FakeBucket._log_permissions_enabled_policy
    if getattr(original, "wrapped", False):
        return

    def check(target_bucket: FakeBucket, target_prefix: str | None) -> bool:
        policy = target_bucket.policy
        if not policy:
            return bool(original(target_bucket, target_prefix))
        document = json.loads(policy.decode())
        statements = [s for s in document["Statement"] if isinstance(s.get("Principal"), dict)]
        target_bucket.policy = json.dumps({**document, "Statement": statements}).encode()
        try:
            return bool(original(target_bucket, target_prefix))
        finally:
            target_bucket.policy = policy

    check.wrapped = True  # type: ignore[attr-defined]
    FakeBucket._log_permissions_enabled_policy = staticmethod(check)  # type: ignore[assignment]


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
    """Yield the endpoint URL (http://127.0.0.1:<port>) of a fresh server; stop it after.

    The server runs in a process of its own (`python -m tests.moto_server`), like an emulator a
    user starts: the test process's warning filters (warnings are errors here) never reach
    moto's request handlers, and its accounts are not shared with in-process moto mocks.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.moto_server"],
        cwd=Path(__file__).resolve().parents[1],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"moto's server did not start (exit {process.poll()})")
        yield url
    finally:
        stop_by_closing_input(process)


def stop_by_closing_input(process: subprocess.Popen[str]) -> None:
    """Stop a test server that runs until its standard input closes (killed after 10 s)."""
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def serve() -> None:
    """Run the server until standard input closes; print its URL first."""
    # One log line per request would bury a failing test's output.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    _keep_version_user_data_encoded()
    _tolerate_string_principals_in_log_targets()
    _load_managed_policies()
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    sys.stdin.read()  # returns at EOF: the test process closed the pipe or died
    server.stop()


def reset(url: str) -> None:
    """Forget every bucket, key and account the server's process holds (moto's reset API)."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    # The URL is the loopback server this module started (http only).
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


if __name__ == "__main__":
    serve()
