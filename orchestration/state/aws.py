"""The AWS side of the state backend, through boto3: whose account, and is it bootstrapped?

Whose account: STS says who the credentials belong to, compared with the environment's declared
`account_id` (`orchestration.state.account`) and, where none is declared, naming the `s3` short
form's bucket (like `cdk bootstrap`). Before a run, `check_state_ready` makes sure the
declared bucket and key exist and answer, so a missing bootstrap is one message naming
`invoke bootstrap` instead of a Pulumi CLI error in the middle of a run. With `--endpoint`
everything goes to the emulator with its documented dummy credentials.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from orchestration.engine.interface import OrchestrationError
from orchestration.state.declaration import KmsLocation, S3Location, StateLocation
from shared.emulator import emulator_credentials

_MISSING_BUCKET = {"404", "NoSuchBucket", "NotFound"}
_DENIED = {"403", "AccessDenied", "AccessDeniedException", "Forbidden"}


class StateNotReady(OrchestrationError):
    """The declared state bucket or secrets key is missing or cannot be reached; nothing ran."""


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


def check_state_ready(location: StateLocation, environment: str) -> None:
    """StateNotReady naming `invoke bootstrap` unless the declared bucket and key answer."""
    problems = []
    if location.bucket is not None:
        problems.extend(_bucket_problems(location.bucket))
    if location.key is not None:
        problems.extend(_key_problems(location.key))
    if problems:
        endpoint = next(
            (part.endpoint for part in (location.bucket, location.key) if part and part.endpoint),
            None,
        )
        again = f" --endpoint {endpoint}" if endpoint else ""
        raise StateNotReady(
            f"the state backend of {environment} is not ready: {'; '.join(problems)}. Create "
            f"it with `invoke bootstrap --env {environment}{again}` (or check the AWS "
            "credentials and the IAM permissions in README: Teams and shared state); nothing "
            "was run"
        )


def _bucket_problems(bucket: S3Location) -> list[str]:
    what = f"the state bucket {bucket.bucket}"
    try:
        aws_client("s3", bucket.region, bucket.endpoint).head_bucket(Bucket=bucket.bucket)
    except (BotoCoreError, ClientError) as error:
        return [_problem(what, error, missing=_MISSING_BUCKET)]
    return []


def _key_problems(key: KmsLocation) -> list[str]:
    what = f"the secrets key {key.key} ({key.region})"
    try:
        metadata = aws_client("kms", key.region, key.endpoint).describe_key(KeyId=key.key)
    except (BotoCoreError, ClientError) as error:
        return [_problem(what, error, missing={"NotFoundException"})]
    state = metadata["KeyMetadata"].get("KeyState")
    return [] if state == "Enabled" else [f"{what} is {state}, not Enabled"]


def _problem(what: str, error: BotoCoreError | ClientError, *, missing: set[str]) -> str:
    if isinstance(error, EndpointConnectionError):
        return f"{what} is not reachable ({error})"
    if not isinstance(error, ClientError):
        return f"{what} cannot be read ({error})"
    code = error_code(error)
    if code in missing:
        return f"{what} does not exist"
    if code in _DENIED:
        return f"access to {what} is denied"
    return f"{what} does not answer ({code})"
