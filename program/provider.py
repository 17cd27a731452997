"""The one explicit AWS provider every resource uses.

The region comes from the environment settings, never from AWS_REGION/AWS_DEFAULT_REGION in
the user's shell; each Pulumi.yaml also disables the default aws provider, so a resource that
forgets `provider=` fails instead of silently picking a region up. An environment that declares
its `account_id` gives it to the provider as allowedAccountIds, so even plain `pulumi up` in a
project folder refuses credentials of another account (the tasks refuse them first:
`orchestration.state.account`).
"""

from __future__ import annotations

import os

import pulumi
import pulumi_aws as aws

from shared.emulator import EMULATED_SERVICES, EMULATOR_ENDPOINT_ENV, emulator_credentials
from shared.naming import logical_name, tags
from shared.settings import EnvironmentSettings


def aws_provider(
    settings: EnvironmentSettings, component: str, *, endpoint: str | None = None
) -> aws.Provider:
    """The project's provider: settings' region, default tags, the declared account (if any),
    optional emulator endpoint."""
    args = aws.ProviderArgs(
        region=settings.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags(settings, component)),
        allowed_account_ids=[settings.account_id] if settings.account_id else None,
    )
    if endpoint:
        _aim_at_emulator(args, endpoint, check_account=settings.account_id is not None)
    return aws.Provider(logical_name(settings, "aws"), args)


def emulator_endpoint() -> str | None:
    """The emulator endpoint the orchestrator asked for, if any."""
    return os.environ.get(EMULATOR_ENDPOINT_ENV) or None


def provider_opts(provider: aws.Provider) -> pulumi.ResourceOptions:
    """Resource options that pin a resource (and its children) to `provider`."""
    return pulumi.ResourceOptions(providers={"aws": provider})


def _aim_at_emulator(args: aws.ProviderArgs, endpoint: str, *, check_account: bool) -> None:
    # An emulator has no metadata service; the keys pick its account (shared.emulator).
    credentials = emulator_credentials()
    args.access_key = credentials.access_key
    args.secret_key = credentials.secret_key
    args.token = credentials.token
    args.skip_credentials_validation = True
    args.skip_metadata_api_check = True
    # allowedAccountIds is compared with the account the provider asks STS for (the emulator's
    # here); not asking leaves an empty account, which no allow list contains.
    args.skip_requesting_account_id = not check_account
    args.s3_use_path_style = True
    args.endpoints = [aws.ProviderEndpointArgs(**dict.fromkeys(EMULATED_SERVICES, endpoint))]
