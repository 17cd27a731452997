"""The AWS side of the state backend, through boto3: whose account, and is it bootstrapped?

Whose account: STS says who the credentials belong to, compared with the environment's declared
`account_id` (`orchestration.state.account`) and, where none is declared, naming the `s3` short
form's bucket (like `cdk bootstrap`); `orchestration.state.ready` checks the declared bucket and
key before a run. With `--endpoint` everything goes to the emulator with
`shared.emulator.emulator_credentials`. `key_status` asks KMS about a key a stack's state records
(the deploy's guard against a key deleted behind Pulumi's back, `orchestration.runner.keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from orchestration.engine.interface import OrchestrationError
from shared.emulator import emulator_credentials


class StateNotReady(OrchestrationError):
    """The declared state bucket or secrets key is missing, unreachable or unsound; nothing ran."""


class KeyUnreadable(OrchestrationError):
    """KMS could not be asked about a key (no access, no connection)."""


@dataclass(frozen=True)
class KeyStatus:
    """What KMS says of one key."""

    key: str
    # Its KeyState (Enabled, Disabled, PendingDeletion ...); None: KMS has no such key.
    state: str | None
    # When a key pending deletion is deleted for good.
    deletion_date: datetime | None = None


def aws_client(service: str, region: str | None, endpoint: str | None) -> Any:
    """A boto3 client in `region`; at an emulator `endpoint`, with `emulator_credentials`."""
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
        credentials = emulator_credentials()
        session = boto3.Session(
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
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
            f"cannot find out which AWS account the credentials belong to (STS "
            f"GetCallerIdentity: {error}): check the AWS credentials (AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and that AWS (or the --endpoint) is "
            "reachable; the environment's account_id is compared with it, and the state bucket "
            "`invoke bootstrap` creates is named after the account"
        ) from error


def key_status(key: str, region: str, endpoint: str | None) -> KeyStatus:
    """KMS DescribeKey of `key` (an id or ARN); KeyUnreadable when KMS cannot be asked."""
    try:
        metadata = aws_client("kms", region, endpoint).describe_key(KeyId=key)["KeyMetadata"]
    except ClientError as error:
        if error_code(error) == "NotFoundException":
            return KeyStatus(key, None)
        raise KeyUnreadable(f"KMS DescribeKey of {key} failed: {_one_line(error)}") from error
    except BotoCoreError as error:
        raise KeyUnreadable(f"KMS DescribeKey of {key} failed: {_one_line(error)}") from error
    return KeyStatus(key, str(metadata.get("KeyState", "")), metadata.get("DeletionDate"))


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())
