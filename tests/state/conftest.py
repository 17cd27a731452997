"""Fixtures for the state tests: a moto server and AWS clients aimed at it."""

from __future__ import annotations

from collections.abc import Callable
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


# A second AWS account at the same moto server: moto answers for the credentials STS hands out
# when a role of that account is assumed (moto's multi-account support).
OTHER_ACCOUNT = "111111111111"


@pytest.fixture
def credentials_in(aws: Any) -> Callable[[str], dict[str, str]]:
    """`credentials_in(account)`: boto3 keyword credentials of a role assumed in that account."""

    def assume(account: str) -> dict[str, str]:
        role = f"arn:aws:iam::{account}:role/deployer"
        found = aws("sts").assume_role(RoleArn=role, RoleSessionName="deployer")["Credentials"]
        return {
            "aws_access_key_id": found["AccessKeyId"],
            "aws_secret_access_key": found["SecretAccessKey"],
            "aws_session_token": found["SessionToken"],
        }

    return assume


@pytest.fixture
def caller_in(aws: Any, credentials_in: Callable[[str], dict[str, str]]) -> Callable[[str], Any]:
    """`caller_in(account)`: an account lookup for a caller holding credentials in that account,
    answered by moto's STS GetCallerIdentity (what `caller_account` asks)."""

    def lookup_for(account: str) -> Any:
        credentials = credentials_in(account)

        def lookup(region: str, endpoint: str | None) -> str:
            return str(aws("sts", **credentials).get_caller_identity()["Account"])

        return lookup

    return lookup_for
