"""Test data types for the verify tests: the app and orchestrator doubles, the environment."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import boto3

from orchestration.verify.runner import run_verify
from shared.settings import EnvironmentSettings
from tests.verify.moto_network import Network


@dataclass
class HealthDouble:
    """Test double of the web app: answers /health with whatever `body` holds."""

    url: str
    status: int = 200
    body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Deployed:
    """The boto3-created environment and the stacks' outputs that describe it."""

    session: boto3.Session
    key_arn: str
    bucket: str
    instance_id: str
    group_id: str
    network: Network
    outputs: dict[str, dict[str, Any]]
    # Production's: where the data bucket's and the balancer's access logs go, what its web
    # servers launch from, the balancer in front of them.
    log_bucket: str = ""
    launch_template_id: str = ""
    load_balancer_arn: str = ""


@dataclass
class OrchestratorDouble:
    """Test double of what verify reads from the orchestrator: settings, stack names, outputs.

    Names stacks as a file backend does (`organization/<project>/<environment>`).
    """

    settings: EnvironmentSettings
    outputs: dict[str, dict[str, Any]]

    def stack_name(self, project: str) -> str:
        return f"organization/{project}/{self.settings.environment}"

    def read_outputs(self, project: str) -> dict[str, Any] | None:
        return self.outputs.get(project)


def launch_template_data(
    key_arn: str, http_tokens: str, group_id: str, *, public_ip: bool | None = False
) -> dict[str, Any]:
    """What the web fleet's launch template holds that verify judges (`public_ip` None: the
    network interface leaves the public address to the subnet)."""
    interface: dict[str, Any] = {"DeviceIndex": 0, "Groups": [group_id]}
    if public_ip is not None:
        interface["AssociatePublicIpAddress"] = public_ip
    return {
        "ImageId": "ami-12345678",
        "NetworkInterfaces": [interface],
        "MetadataOptions": {"HttpTokens": http_tokens, "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {"Encrypted": True, "KmsKeyId": key_arn, "VolumeType": "gp3"},
            }
        ],
    }


def run_report(settings: EnvironmentSettings, deployed: Deployed) -> tuple[int, str]:
    """`invoke verify` of the moto environment: (exit code, report)."""
    out = io.StringIO()
    stacks = OrchestratorDouble(settings, deployed.outputs)
    code = run_verify(settings, stacks, endpoint=None, out=out)
    return code, out.getvalue()


def failed_checks(report: str) -> set[str]:
    """The checks the report says failed."""
    return {line.split()[1] for line in report.splitlines() if line.startswith("FAIL")}


def passed(report: str, check: str, target: str) -> bool:
    """True when the report says `check` passed for `target`."""
    return any(line.split()[:3] == ["PASS", check, target] for line in report.splitlines())


def assert_fails_exactly(
    settings: EnvironmentSettings, deployed: Deployed, failed: set[str], phrase: str
) -> None:
    """Verify exits 1, fails exactly the `failed` checks and says `phrase`."""
    code, report = run_report(settings, deployed)
    assert code == 1, report
    assert failed_checks(report) == failed, report
    assert phrase in report
