"""Before the real engine talks to AWS: do credentials resolve at all?

Only resolution is checked (the same chain the AWS provider uses: environment variables,
profiles, SSO, container and instance roles); no request is sent to AWS. Targeting an emulator
(`--endpoint`) skips the check, since the provider then uses the emulator's dummy credentials.
"""

from __future__ import annotations

from collections.abc import Callable

from orchestration.engine import OrchestrationError

# region -> True when credentials resolve; raises BotoCoreError when a source is broken.
CredentialResolver = Callable[[str], bool]


class CredentialsError(OrchestrationError):
    """No usable AWS credentials; nothing was run."""


def botocore_resolves(region: str) -> bool:
    """True when botocore's default chain yields credentials (refreshing them if needed)."""
    # Imported here (as below): botocore costs the orchestrator a third of a second, and only
    # runs against real AWS check credentials.
    from botocore.session import Session  # noqa: PLC0415

    session = Session()
    session.set_config_variable("region", region)
    credentials = session.get_credentials()
    if credentials is None:
        return False
    # Lazily refreshed sources (SSO, assumed roles) only fail when the keys are read.
    frozen = credentials.get_frozen_credentials()
    return bool(frozen.access_key and frozen.secret_key)


def check_aws_credentials(
    environment: str, region: str, *, resolve: CredentialResolver = botocore_resolves
) -> None:
    """Raise CredentialsError (what to set, and the offline alternative) unless they resolve."""
    offline = (
        f"For an offline look at what would be deployed (no credentials, no Pulumi CLI, no "
        f"state): `invoke plan --env {environment}`; to target a local AWS emulator instead, "
        "pass --endpoint URL."
    )
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    try:
        if resolve(region):
            return
        reason = "no AWS credentials found"
    except BotoCoreError as error:
        reason = f"AWS credentials do not resolve ({error})"
    raise CredentialsError(
        f"{reason} for {environment} ({region}): set AWS_PROFILE (after `aws sso login` for SSO "
        f"profiles) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for this environment's "
        f"account. {offline}"
    )
