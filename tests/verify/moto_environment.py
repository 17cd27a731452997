"""Test data types for the verify tests: the app double and the deployed environment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3


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
