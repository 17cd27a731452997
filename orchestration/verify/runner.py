"""`invoke verify`: check the deployed environment against the security baseline, read-only.

The stacks' outputs say what to look at (bucket, key, development's instance or production's
launch template, security group, VPC, URL, production's log bucket); they and the stacks'
names come through `DeployedStacks`: the orchestrator in real use (its engine names the stacks
as the backend does, on a file backend and on Pulumi Cloud alike), a double in tests. The live
resources are judged by the rules in program.policy; the application's health endpoint must
report the environment's DEBUG and LOG_LEVEL.

The AWS credentials were checked before the orchestrator was opened (`orchestration.commands`);
a session that stops resolving them mid-way is reported as a VerifyError.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, Protocol, TextIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, NoCredentialsError

from orchestration.verify.live import (
    LiveReadError,
    instance_resources,
    key_resource,
    launch_template_resource,
    security_group_resource,
    storage_resources,
)
from orchestration.verify.live_network import (
    load_balancer_resources,
    log_group_resources,
    vpc_resources,
)
from program.policy import Resource, Rule, StackView, rule_by_id
from program.webapp.app import HEALTH_PATH
from shared.emulator import emulator_credentials
from shared.settings import EnvironmentSettings
from shared.topology import (
    APP_URL,
    BUCKET_NAME,
    COMPUTE,
    INSTANCE_IDS,
    KMS_KEY_ARN,
    LAUNCH_TEMPLATE_ID,
    LOG_BUCKET_NAME,
    SECURITY,
    SECURITY_GROUP_ID,
    STORAGE,
    VPC_ID,
)

# The rules a live environment can be judged by from what AWS reports (tags, protection and
# the region are properties of the program and its state, not of the cloud resources).
LIVE_RULES = (
    "s3-bucket-encryption-customer-key",
    "s3-bucket-public-access-block",
    "s3-bucket-owner-enforced",
    "s3-bucket-tls-only",
    "s3-bucket-versioning",
    "s3-bucket-access-logging",
    "kms-key-rotation",
    "kms-key-policy-least-privilege",
    "ec2-imdsv2-required",
    "ec2-root-volume-customer-key",
    "ec2-no-ssh-rdp-ingress",
    "ec2-public-ingress-web-only",
    "ec2-production-private",
    "vpc-flow-logs",
    "cloudwatch-log-group-encrypted",
    "elb-access-logs",
)
HEALTH_CHECK = "app-health-settings"
HEALTH_TIMEOUT_SECONDS = 10


def needed_outputs(settings: EnvironmentSettings) -> dict[str, tuple[str, ...]]:
    """The outputs verification reads: production's web servers are its launch template (its
    Auto Scaling group owns the instances), development's its instance; production's load
    balancer logs into the log bucket (development has neither: its log bucket name is "")."""
    if settings.production:
        return {
            SECURITY: (KMS_KEY_ARN,),
            STORAGE: (BUCKET_NAME, LOG_BUCKET_NAME),
            COMPUTE: (LAUNCH_TEMPLATE_ID, SECURITY_GROUP_ID, VPC_ID, APP_URL),
        }
    return {
        SECURITY: (KMS_KEY_ARN,),
        STORAGE: (BUCKET_NAME,),
        COMPUTE: (INSTANCE_IDS, SECURITY_GROUP_ID, VPC_ID, APP_URL),
    }


HttpGet = Callable[[str], tuple[int, str]]


class DeployedStacks(Protocol):
    """Where the environment's stacks are read from (the orchestrator provides this)."""

    def stack_name(self, project: str) -> str:
        """The project's fully qualified stack name on the backend."""
        ...

    def read_outputs(self, project: str) -> Mapping[str, Any] | None:
        """The stack's outputs, or None when the stack does not exist."""
        ...


class VerifyError(Exception):
    """Verification cannot go on: missing stacks or outputs, credentials that stopped resolving."""


@dataclass(frozen=True)
class DeployedEnvironment:
    """What the stacks' outputs say was deployed."""

    kms_key_arn: str
    bucket_name: str
    instance_ids: tuple[str, ...]
    security_group_id: str
    vpc_id: str
    url: str
    launch_template_id: str = ""
    log_bucket_name: str = ""


@dataclass(frozen=True)
class CheckResult:
    """One check of one deployed resource."""

    check: str
    target: str
    passed: bool
    detail: str = ""
    # Not run (and not failed), for the reason in `detail`.
    skipped: bool = False


def read_deployed(settings: EnvironmentSettings, stacks: DeployedStacks) -> DeployedEnvironment:
    """The outputs verification needs; VerifyError naming every missing stack or output."""
    problems = []
    values: dict[str, Any] = {}
    for project, keys in needed_outputs(settings).items():
        stack = stacks.stack_name(project)
        outputs = stacks.read_outputs(project)
        if outputs is None:
            problems.append(f"stack {stack} does not exist")
            continue
        missing = [key for key in keys if outputs.get(key) in (None, "", [])]
        if missing:
            problems.append(f"stack {stack} has no output(s) {', '.join(missing)}")
        values.update({key: outputs.get(key) for key in keys})
    if problems:
        raise VerifyError(
            f"cannot verify {settings.environment!r}: {'; '.join(problems)}. "
            f"Deploy it first: invoke deploy --env {settings.environment}"
        )
    ids = values.get(INSTANCE_IDS) or []
    return DeployedEnvironment(
        kms_key_arn=str(values[KMS_KEY_ARN]),
        bucket_name=str(values[BUCKET_NAME]),
        instance_ids=tuple(str(i) for i in (ids if isinstance(ids, list | tuple) else [ids])),
        security_group_id=str(values[SECURITY_GROUP_ID]),
        vpc_id=str(values[VPC_ID]),
        url=str(values[APP_URL]),
        launch_template_id=str(values.get(LAUNCH_TEMPLATE_ID) or ""),
        log_bucket_name=str(values.get(LOG_BUCKET_NAME) or ""),
    )


def make_session(settings: EnvironmentSettings, endpoint: str | None) -> boto3.Session:
    """A boto3 session in the settings' region (`emulator_credentials` at an emulator, so
    verify sees the account deploy used)."""
    if endpoint:
        credentials = emulator_credentials()
        return boto3.Session(
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
            region_name=settings.region,
        )
    return boto3.Session(region_name=settings.region)


def http_get(url: str) -> tuple[int, str]:
    """GET `url`: (status, body). Network errors become status 0 with the reason."""
    if not url.startswith(("http://", "https://")):
        return 0, f"{url!r} is not an http(s) URL"
    try:
        with urllib.request.urlopen(url, timeout=HEALTH_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked above
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return int(error.code), error.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as error:
        return 0, str(getattr(error, "reason", error))


def check_health(settings: EnvironmentSettings, url: str, get: HttpGet = http_get) -> CheckResult:
    """The app answers on its health endpoint with the environment's DEBUG and LOG_LEVEL."""
    target = url.rstrip("/") + HEALTH_PATH
    status, body = get(target)
    if status != 200:
        return CheckResult(HEALTH_CHECK, target, False, f"answered {status or 'nothing'}: {body}")
    try:
        health = json.loads(body)
    except ValueError:
        return CheckResult(HEALTH_CHECK, target, False, f"answered non-JSON: {body[:200]!r}")
    if not isinstance(health, Mapping):
        return CheckResult(HEALTH_CHECK, target, False, f"answered {health!r}, not an object")
    wrong = []
    if health.get("debug") is not settings.debug:
        wrong.append(f"debug is {health.get('debug')!r}, expected {settings.debug!r}")
    level = str(health.get("log_level", "")).upper()
    if level != settings.log_level:
        wrong.append(f"log_level is {health.get('log_level')!r}, expected {settings.log_level!r}")
    return CheckResult(HEALTH_CHECK, target, not wrong, "; ".join(wrong))


def _judge(
    settings: EnvironmentSettings, resources: Sequence[Resource], upstream: Mapping[str, Any]
) -> list[CheckResult]:
    view = StackView(settings, resources, upstream=upstream)
    rules: list[Rule] = [rule_by_id(rule_id) for rule_id in LIVE_RULES]
    results = []
    for resource in resources:
        for rule in rules:
            if not rule.applies_to(resource):
                continue
            violations = rule.violations(resource, view)
            detail = "; ".join(v.message for v in violations)
            results.append(CheckResult(rule.id, resource.name, not violations, detail))
    return results


class Read(NamedTuple):
    """One group of resources read together, and judged together (a failed read fails it)."""

    service: str
    target: str
    read: Callable[[], list[Resource]]


def _readers(
    settings: EnvironmentSettings, deployed: DeployedEnvironment, client: Callable[[str], Any]
) -> list[Read]:
    """What to read, in report order; `client` makes (once) a service's boto3 client."""
    s3, kms, ec2 = client("s3"), client("kms"), client("ec2")
    if deployed.launch_template_id:
        template = deployed.launch_template_id
        servers = Read("ec2", template, lambda: [launch_template_resource(ec2, kms, template)])
    else:
        ids = deployed.instance_ids
        servers = Read("ec2", ", ".join(ids), lambda: instance_resources(ec2, kms, ids))
    vpc, group = deployed.vpc_id, deployed.security_group_id
    readers = [
        Read("kms", deployed.kms_key_arn, lambda: [key_resource(kms, deployed.kms_key_arn)]),
        Read("s3", deployed.bucket_name, lambda: storage_resources(s3, kms, deployed.bucket_name)),
        servers,
        Read("ec2", group, lambda: [security_group_resource(ec2, group)]),
        Read("ec2", vpc, lambda: vpc_resources(ec2, vpc)),
        Read("logs", vpc, lambda: log_group_resources(ec2, client("logs"), kms, vpc)),
    ]
    if settings.production:  # development's one instance is served without a load balancer
        readers.append(
            Read("elbv2", vpc, lambda: load_balancer_resources(client("elbv2"), vpc, deployed.url))
        )
    return readers


def verify(
    settings: EnvironmentSettings,
    deployed: DeployedEnvironment,
    session: boto3.Session,
    *,
    endpoint: str | None = None,
    get: HttpGet = http_get,
) -> list[CheckResult]:
    """Every check, in a stable order. Read failures fail their group of checks."""
    # Emulators serve S3 on one host name, so bucket names go in the path.
    config = Config(
        retries={"max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint else {},
    )

    @cache
    def client(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint, config=config)

    upstream = {KMS_KEY_ARN: deployed.kms_key_arn, LOG_BUCKET_NAME: deployed.log_bucket_name}
    results: list[CheckResult] = []
    for service, target, read in _readers(settings, deployed, client):
        try:
            resources = read()
        except NoCredentialsError as error:
            raise VerifyError(f"AWS credentials stopped resolving: {error}") from error
        except (LiveReadError, BotoCoreError) as error:
            results.append(CheckResult(f"{service}-read", target, False, str(error)))
            continue
        results.extend(_judge(settings, resources, upstream))
    if endpoint:
        # An emulator keeps the resources but boots no instance: nothing serves the app there.
        reason = f"an emulator at {endpoint} runs no instance to answer {deployed.url}"
        results.append(CheckResult(HEALTH_CHECK, deployed.url, True, reason, skipped=True))
    else:
        results.append(check_health(settings, deployed.url, get))
    return results


def report(results: Sequence[CheckResult], out: TextIO) -> bool:
    """Print one line per check (and why a failed one failed); True when all passed."""
    width = max((len(result.check) for result in results), default=0)
    for result in results:
        status = "SKIP" if result.skipped else "PASS" if result.passed else "FAIL"
        print(f"{status}  {result.check:<{width}}  {result.target}", file=out)
        if (result.skipped or not result.passed) and result.detail:
            print(f"      {result.detail}", file=out)
    failed = sum(not result.passed for result in results)
    skipped = sum(result.skipped for result in results)
    passed = len(results) - failed - skipped
    tail = f", {skipped} skipped" if skipped else ""
    print(f"\n{passed} passed, {failed} failed{tail}", file=out)
    return failed == 0


def run_verify(
    settings: EnvironmentSettings,
    stacks: DeployedStacks,
    *,
    endpoint: str | None,
    out: TextIO,
    session_factory: Callable[[EnvironmentSettings, str | None], boto3.Session] = make_session,
    get: HttpGet = http_get,
) -> int:
    """Verify one environment; the exit code (0 all passed, 1 a check failed).

    Raises VerifyError when verification cannot start (no stacks or outputs) or the
    credentials stop resolving.
    """
    deployed = read_deployed(settings, stacks)
    session = session_factory(settings, endpoint)
    print(
        f"Verifying {settings.environment} ({settings.region}"
        f"{', endpoint ' + endpoint if endpoint else ''}) read-only",
        file=out,
    )
    results = verify(settings, deployed, session, endpoint=endpoint, get=get)
    return 0 if report(results, out) else 1
