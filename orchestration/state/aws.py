"""The AWS side of the state backend, through boto3: whose account, and is it bootstrapped?

The `s3` short form names a bucket that holds the account id, so resolving it asks STS who the
credentials belong to (like `cdk bootstrap`); `orchestration.state.ready` checks the declared
bucket and key before a run. With `--endpoint` everything goes to the emulator with its
documented dummy credentials.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine.interface import OrchestrationError
from shared.emulator import EMULATOR_ACCESS_KEY_ID, EMULATOR_SECRET_ACCESS_KEY


class StateNotReady(OrchestrationError):
    """The declared state bucket or secrets key is missing, unreachable or unsound; nothing ran."""


def aws_client(service: str, region: str | None, endpoint: str | None) -> Any:
    """A boto3 client in `region`; at an emulator `endpoint`, with its dummy credentials."""
    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        connect_timeout=5,
        # Only `endpoint` (--endpoint) aims a client elsewhere, never AWS_ENDPOINT_URL[_<SERVICE>]
        # or a profile's endpoint_url (the preflight refuses those variables first).
        ignore_configured_endpoint_urls=True,
        # Emulators serve S3 on one host name, so bucket names go in the path.
        s3={"addressing_style": "path"} if endpoint else {},
    )
    if endpoint:
        session = boto3.Session(
            aws_access_key_id=EMULATOR_ACCESS_KEY_ID,
            aws_secret_access_key=EMULATOR_SECRET_ACCESS_KEY,
            region_name=region,
        )
    else:
        session = boto3.Session(region_name=region)
    return session.client(service, endpoint_url=endpoint, config=config)


def error_code(error: ClientError) -> str:
    """The AWS error code of a failed call."""
    return str(error.response.get("Error", {}).get("Code", ""))


def caller_account(region: str, endpoint: str | None) -> str:
    """The account id of the credentials in use (STS GetCallerIdentity); StateNotReady if none."""
    try:
        return str(aws_client("sts", region, endpoint).get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise StateNotReady(
            f"cannot find out which AWS account holds the state (STS GetCallerIdentity: "
            f"{error}): check the AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY) and that AWS (or the --endpoint) is reachable; the state "
            "bucket `invoke bootstrap` creates is named after the account"
        ) from error
