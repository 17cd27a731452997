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

HTTPS: a production deploy whose load balancer would serve plain HTTP (no certificate knob
set) is refused, naming the knob and how to request a certificate, unless `--allow-http` says
so on purpose; then one warning line says it (`check_https`). A preview and the offline plan
only report it (the advisory rule `elb-https-only`).

Environment: a few variables in the shell change what the engine guarantees or where AWS calls
go without any flag saying so; a run refuses them first, in one line naming the variable
(`check_engine_variables`, `check_endpoint_variables`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Protocol, TextIO, runtime_checkable

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


def check_knobs(
    settings: EnvironmentSettings, projects: Iterable[str], projects_dir: Path
) -> dict[str, object]:
    """Each of `projects`' knobs for `settings.environment` (its config object, None for a
    project without knobs); KnobError with the first problem."""
    # Imported here: reading knobs loads the Pulumi SDK, which the other checks do not need.
    from shared.config_reading import project_keys  # noqa: PLC0415
    from shared.project_config import ProjectConfigError, read_project_config  # noqa: PLC0415

    configs: dict[str, object] = {}
    for project in projects:
        try:
            config = stack_config(
                project, settings.environment, projects_dir=projects_dir, skip_secrets=True
            )
            keys = project_keys(project, config)
            configs[project] = read_project_config(
                project, settings, _getter(project, config), keys
            )
        except (ProjectConfigError, StackConfigError) as error:
            raise KnobError(f"{_sentence(str(error))} Nothing was run.") from None
    return configs


def _sentence(text: str) -> str:
    """`text` as one sentence: one line, ending in exactly one mark (`.` unless it has one)."""
    flat = " ".join(text.split()).rstrip(".")
    return flat if flat.endswith(("?", "!")) else f"{flat}."


def _getter(project: str, config: Mapping[str, str]) -> Callable[[str], str | None]:
    """Reads `<project>:<key>` as `pulumi.Config(project).get` does."""
    return lambda key: config.get(f"{project}:{key}")


class PlainHttpError(OrchestrationError):
    """A production deploy would serve plain HTTP and --allow-http was not given; nothing ran."""


@runtime_checkable
class ServesWeb(Protocol):
    """A project's knobs that put a load balancer on the internet (compute's)."""

    def plain_http_knob(self, settings: EnvironmentSettings) -> str | None:
        """The knob that would give it HTTPS when it serves plain HTTP in `settings`."""
        ...  # pragma: no cover


def check_https(
    settings: EnvironmentSettings,
    configs: Mapping[str, object],
    *,
    allow_http: bool,
    warn: TextIO,
) -> None:
    """PlainHttpError when a deploy of `configs`' projects would serve plain HTTP in production
    (README's first table promises HTTPS there); with `allow_http`, one warning line on `warn`.
    """
    knobs = [
        f"{project}:{knob}"
        for project, config in configs.items()
        if isinstance(config, ServesWeb) and (knob := config.plain_http_knob(settings))
    ]
    if not knobs:
        return
    files = ", ".join(
        f"projects/{knob.split(':')[0]}/Pulumi.{settings.environment}.yaml" for knob in knobs
    )
    if allow_http:
        print(
            f"WARNING: --allow-http: {settings.environment} serves plain HTTP, unencrypted, "
            f"until {' and '.join(knobs)} names an ACM certificate ({files}).",
            file=warn,
            flush=True,
        )
        return
    raise PlainHttpError(
        f"{settings.environment} would serve plain HTTP: {' and '.join(knobs)} is not set in "
        f"{files}. Request an ACM certificate of {settings.region} (`aws acm "
        f"request-certificate --domain-name <your domain> --validation-method DNS --region "
        f"{settings.region}`, then add the DNS record it asks for) and set its ARN there, or "
        "pass --allow-http to deploy plain HTTP on purpose. Nothing was run."
    )


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
