"""TEST-ONLY stand-in AWS provider: AWS's refusals, worded the way the real provider reports them.

The bridged provider (pulumi-aws over terraform-provider-aws with the AWS SDK for Go v2) turns a
failed API call into `<what it was doing>: operation error <service>: <operation>, https response
error StatusCode: <status>, RequestID: <id>, api error <code>: <message>` (S3 also carries a
HostID and omits "api error"). `AwsError` renders exactly that, with a request id derived from
the message so runs stay deterministic. `ProviderError` is a refusal the provider makes itself,
before calling AWS (e.g. its own "already exists" check for load balancers).
"""

from __future__ import annotations

import hashlib
import uuid


def _digest(*parts: str) -> str:
    return hashlib.sha256("#".join(parts).encode()).hexdigest()


class AwsError(Exception):
    """An AWS API error as the provider reports it."""

    def __init__(
        self,
        action: str,
        service: str,
        operation: str,
        code: str,
        message: str,
        *,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.action = action
        self.service = service
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status

    def __str__(self) -> str:
        request = str(uuid.UUID(_digest(self.action, self.code, self.message)[:32]))
        head = (
            f"{self.action}: operation error {self.service}: {self.operation}, https response "
            f"error StatusCode: {self.status}, RequestID: {request}, "
        )
        if self.service == "S3":
            host = _digest(request, "host")[:56]
            return f"{head}HostID: {host}, {self.code}: {self.message}"
        return f"{head}api error {self.code}: {self.message}"


class ProviderError(Exception):
    """A refusal the provider itself makes before any API call; the text is the provider's."""


def ec2(action: str, operation: str, code: str, message: str) -> AwsError:
    return AwsError(action, "EC2", operation, code, message)


def elbv2(action: str, operation: str, code: str, message: str) -> AwsError:
    return AwsError(action, "Elastic Load Balancing v2", operation, code, message)


def autoscaling(action: str, operation: str, code: str, message: str) -> AwsError:
    return AwsError(action, "Auto Scaling", operation, code, message)


class CreatedButFailed(Exception):
    """AWS made the resource, then the operation failed (e.g. an Auto Scaling group that could
    not launch): the engine keeps the resource, with these outputs, as failed to initialize."""

    def __init__(self, message: str, resource_id: str, outputs: dict[str, object]) -> None:
        super().__init__(message)
        self.id = resource_id
        self.outputs = outputs
