"""Fixtures for the state tests: a moto server and AWS clients aimed at it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.moto_server import reset

REGION = "us-west-2"


@pytest.fixture
def endpoint(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """moto's server with an empty account for one test; no real AWS credentials in sight."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    reset(moto_url)
    return moto_url


@pytest.fixture
def aws(endpoint: str) -> Any:
    """`aws("s3")`: a boto3 client of the test's server."""

    def client(service: str, **credentials: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint, region_name=REGION, **credentials)

    return client
