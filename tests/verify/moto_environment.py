"""Test data types for the verify tests: the app and orchestrator doubles, the environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3

from shared.settings import EnvironmentSettings


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
    outputs: dict[str, dict[str, Any]]
    # Production's: where the data bucket's access logs go, what its web servers launch from.
    log_bucket: str = ""
    launch_template_id: str = ""


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


def launch_template_data(key_arn: str, http_tokens: str) -> dict[str, Any]:
    """What the web fleet's launch template holds that verify judges."""
    return {
        "ImageId": "ami-12345678",
        "MetadataOptions": {"HttpTokens": http_tokens, "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [
            {
                "DeviceName": "/dev/xvda",
                "Ebs": {"Encrypted": True, "KmsKeyId": key_arn, "VolumeType": "gp3"},
            }
        ],
    }
