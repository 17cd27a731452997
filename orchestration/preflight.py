"""Checks before a run touches anything: credentials resolve, the projects' knobs are valid.

Credentials: only resolution is checked (the same chain the AWS provider uses: environment
variables, profiles, SSO, container and instance roles); no request is sent to AWS. Targeting
an emulator (`--endpoint`) skips the check, since the provider then uses the emulator's dummy
credentials.

Knobs: each program validates its knobs when it starts (its `projects/<p>/config.py`), but in a
deploy of the whole environment compute starts only after security and storage were deployed.
So the orchestrator reads the same committed stack files first and refuses a bad value with the
program's own one-line message (a key the project does not read included), before any stack is
touched.

Environment: a few variables in the shell change what the engine guarantees or where AWS calls
go without any flag saying so; a run refuses them first, in one line naming the variable
(`check_engine_variables`, `check_endpoint_variables`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from orchestration.engine.interface import OrchestrationError
from orchestration.plan.program_config import StackConfigError, stack_config
from shared.settings import EnvironmentSettings

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
    environment: str,
    region: str,
    *,
    resolve: CredentialResolver = botocore_resolves,
    alternative: str | None = None,
) -> None:
    """Raise CredentialsError (what to set, and `alternative`: by default the offline plan and
    the emulator) unless they resolve."""
    offline = alternative or (
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


class KnobError(OrchestrationError):
    """A project's stack file holds a missing or invalid knob; nothing was run."""


def check_knobs(settings: EnvironmentSettings, projects: Iterable[str], projects_dir: Path) -> None:
    """KnobError with the first problem of `projects`' knobs for `settings.environment`."""
    # Imported here: reading knobs loads the Pulumi SDK, which the other checks do not need.
    from shared.config_reading import project_keys  # noqa: PLC0415
    from shared.project_config import ProjectConfigError, read_project_config  # noqa: PLC0415

    for project in projects:
        try:
            config = stack_config(
                project, settings.environment, projects_dir=projects_dir, skip_secrets=True
            )
            keys = project_keys(project, config)
            read_project_config(project, settings, _getter(project, config), keys)
        except (ProjectConfigError, StackConfigError) as error:
            raise KnobError(f"{str(error).rstrip('.')}. Nothing was run.") from None


def _getter(project: str, config: Mapping[str, str]) -> Callable[[str], str | None]:
    """Reads `<project>:<key>` as `pulumi.Config(project).get` does."""
    return lambda key: config.get(f"{project}:{key}")


class EnvironmentVariableError(OrchestrationError):
    """A variable in the shell would change the run's safety or target; nothing was run."""


# Pulumi's variables that weaken what the state records, refused when Pulumi reads them as true
# (`1` or `true`, any case), with what they would break. Decided one by one:
# - PULUMI_SKIP_CHECKPOINTS: the engine writes no checkpoint during an update, so a killed
#   create leaves resources that neither the state nor a pending operation records.
# - PULUMI_DISABLE_CHECKPOINT_BACKUPS: the DIY backends (the local default and S3) stop keeping
#   a backup of each checkpoint, the only earlier copies of a local stack's state.
# Left alone, as harmless here: PULUMI_SKIP_CONFIRMATIONS (the tasks ask, or take --yes and
# --confirm, themselves, and pass the CLI its own --yes), PULUMI_RETAIN_CHECKPOINTS (keeps
# more history, not less), PULUMI_SKIP_UPDATE_CHECK (only the CLI's version notice).
UNSAFE_ENGINE_VARIABLES = {
    "PULUMI_SKIP_CHECKPOINTS": (
        "the engine would write no checkpoint during an update, so a killed run would leave "
        "resources that no state or pending operation records"
    ),
    "PULUMI_DISABLE_CHECKPOINT_BACKUPS": (
        "the state backend would keep no backup of each checkpoint, the only earlier copies "
        "of a local stack's state"
    ),
}


def check_engine_variables(environ: Mapping[str, str]) -> None:
    """EnvironmentVariableError naming the first of UNSAFE_ENGINE_VARIABLES set to true."""
    for name, breaks in UNSAFE_ENGINE_VARIABLES.items():
        value = environ.get(name, "")
        # Pulumi's own reading of a boolean variable (cmdutil.IsTruthy).
        if value == "1" or value.lower() == "true":
            raise EnvironmentVariableError(
                f"{name}={value} is set: {breaks}. Unset it; nothing was run."
            )


# botocore (and the AWS provider's SDK) aim every client, or one service's, at these unless
# AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is set; `--endpoint` is the one way to name an emulator.
ENDPOINT_VARIABLE = re.compile(r"AWS_ENDPOINT_URL(_[A-Z0-9_]+)?")


def check_endpoint_variables(environ: Mapping[str, str], endpoint: str | None) -> None:
    """EnvironmentVariableError when AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_<SERVICE> is set and
    no `--endpoint` was given: it would silently aim the run and the state at another endpoint."""
    if endpoint is not None:
        return
    for name in sorted(environ):
        if ENDPOINT_VARIABLE.fullmatch(name) and environ[name]:
            raise EnvironmentVariableError(
                f"{name}={environ[name]} is set: it would aim the AWS calls and the state at "
                f"that endpoint instead of AWS. Unset it, or pass --endpoint URL explicitly "
                f"to target an emulator; nothing was run."
            )
