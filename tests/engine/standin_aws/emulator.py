"""TEST-ONLY stand-in AWS provider: the emulated AWS account it works in, through boto3.

The provider was configured with an emulator endpoint (moto's server in the tests, as `invoke
--endpoint URL` configures the real provider), a region and credentials; `Account` makes the
boto3 clients for them and `call` turns an API refusal into the real provider's wording
(`errors.AwsError`), so a refusal reads the same whether moto or our own layer made it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from tests.engine.standin_aws.errors import AwsError, ProviderError

# The service names the AWS SDK for Go puts into the provider's error messages.
SERVICE_TITLES = {
    "autoscaling": "Auto Scaling",
    "ec2": "EC2",
    "elbv2": "Elastic Load Balancing v2",
    "iam": "IAM",
    "kms": "KMS",
    "logs": "CloudWatch Logs",
    "resourcegroupstaggingapi": "Resource Groups Tagging API",
    "s3": "S3",
    "ssm": "SSM",
    "sts": "STS",
}
# One attempt: a refusal is an answer, and the emulator is on this machine.
_CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5)


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None


@dataclass
class Account:
    """The emulated account behind one configured provider: one endpoint, one region."""

    endpoint: str
    region: str
    credentials: Credentials
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint,
                region_name=self.region,
                aws_access_key_id=self.credentials.access_key,
                aws_secret_access_key=self.credentials.secret_key,
                aws_session_token=self.credentials.token,
                config=_CLIENT_CONFIG,
            )
        return self._clients[service]

    def call(self, action: str, service: str, operation: str, **arguments: Any) -> Any:
        """`client(service).<operation>(**arguments)`; a refusal raises AwsError for `action`
        (the provider's "creating X (name)" prefix)."""
        method = getattr(self.client(service), xform_name(operation))
        try:
            return method(**arguments)
        except ClientError as error:
            raise refusal(action, service, operation, error) from None
        except ParamValidationError as error:
            # The AWS SDK's own validation, before any request: the provider reports it as is.
            raise ProviderError(f"{action}: {error}") from None

    @cached_property
    def id(self) -> str:
        """The account id (STS GetCallerIdentity), as the provider learns it."""
        return str(self.call("reading caller identity", "sts", "GetCallerIdentity")["Account"])


def refusal(action: str, service: str, operation: str, error: ClientError) -> AwsError:
    details = error.response.get("Error", {})
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
    return AwsError(
        action,
        SERVICE_TITLES.get(service, service),
        operation,
        str(details.get("Code", "Unknown")),
        str(details.get("Message", "")),
        status=int(status),
    )


def is_missing(error: AwsError) -> bool:
    """Whether a describe/get refusal means the resource no longer exists."""
    return (
        error.status == 404
        or "NotFound" in error.code
        or error.code.startswith("NoSuch")
        or error.code in {"ResourceNotFoundException", "NotFoundException"}
    )
