"""Evaluate a project's real `__main__.py` in-process under Pulumi's mock runtime.

This is the engine of the offline plan and of the program tests: it runs the program exactly as
`pulumi up -s <env>` would (same project name, stack name, organization and stack config, read
from the project's `Pulumi.yaml` and `Pulumi.<env>.yaml`), but every resource registration and
provider call is answered here, in memory, with deterministic placeholders. Nothing talks to AWS
or to a Pulumi backend and nothing is written anywhere, so it is safe before any stack exists.

Placeholders are shaped like the real thing (ARNs of the right service, region and resource type,
`vpc-...`/`i-...` ids, ALB DNS names) so programs and rules see realistic values, and they are
recognisable as placeholders: every account id is `PLACEHOLDER_ACCOUNT_ID` (111122223333, the
example account AWS's own documentation uses; not LocalStack's 000000000000 nor moto's
123456789012, so a plan can never be mistaken for an emulator run), generated ids start with
`PLACEHOLDER_ID_PREFIX` ("0000") and public IPs come from TEST-NET-3 (203.0.113.0/24, RFC 5737).

Upstream stacks are supplied by the caller (`upstream={"security": {...outputs...}}`); the mock
answers each `pulumi:pulumi:StackReference` with them, so a program can be evaluated before its
producers exist. Like the engine, the evaluation refuses a resource or invoke that would fall back
to a default provider the project disables (`pulumi:disable-default-providers`).
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import functools
import hashlib
import json
import runpy
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import Stack, run_pulumi_func

from orchestration.plan.isolation import run_isolated
from shared.paths import PROJECTS_DIR
from shared.references import DIY_ORGANIZATION, qualified_stack_name
from shared.settings import EnvironmentSettings, overridden_settings
from shared.yaml_files import read_mapping

PLACEHOLDER_ACCOUNT_ID = "111122223333"
PLACEHOLDER_ID_PREFIX = "0000"
PLACEHOLDER_AMI_ID = "ami-00000000000000000"
# The SSM public parameters the programs may read, answered with placeholder AMI ids.
PUBLIC_AMI_PARAMETERS = frozenset(
    {"/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"}
)

STACK_TYPE = "pulumi:pulumi:Stack"
STACK_REFERENCE_TYPE = "pulumi:pulumi:StackReference"
PROVIDER_TYPE_PREFIX = "pulumi:providers:"
DISABLE_DEFAULT_PROVIDERS_KEY = "pulumi:disable-default-providers"


class ProgramError(Exception):
    """A project's program failed under evaluation; names the project, environment and cause."""

    def __init__(self, project: str, environment: str, cause: BaseException) -> None:
        self.project = project
        self.environment = environment
        self.cause = cause
        super().__init__(
            f"project {project!r}, environment {environment!r}: the program failed: "
            f"{type(cause).__name__}: {cause}"
        )


class StackConfigError(ValueError):
    """A project's Pulumi.yaml or Pulumi.<env>.yaml is missing or malformed."""


@dataclass(frozen=True)
class RegisteredResource:
    """One resource as the program registered it, with the options that matter to rules."""

    type: str
    name: str
    urn: str
    custom: bool
    # Inputs as the engine (and the mock) receive them: camelCase property names.
    inputs: Mapping[str, Any]
    # The state the mock answered with: the inputs plus placeholder ids, ARNs, DNS names.
    outputs: Mapping[str, Any]
    id: str | None
    # URN of the provider resource managing it; None for components and default providers.
    provider: str | None
    parent: str | None
    protect: bool
    retain_on_delete: bool
    # URNs of the resources each input property's value came from.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # True for resources read rather than created (stack references).
    read: bool = False


@dataclass(frozen=True)
class ProgramResult:
    """Everything one evaluation of a project's program produced."""

    project: str
    environment: str
    # The stack config the program saw, as the engine passes it (all values strings).
    config: Mapping[str, str]
    # Parents before children, siblings by URN: stable from one run to the next.
    resources: tuple[RegisteredResource, ...]
    # The stack's exported outputs, resolved to plain values.
    outputs: Mapping[str, Any]

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """The resources of one type token."""
        return [resource for resource in self.resources if resource.type == type_]

    def named(self, name: str) -> RegisteredResource:
        """The resource with a logical name; KeyError listing the names otherwise."""
        for resource in self.resources:
            if resource.name == name:
                return resource
        known = ", ".join(resource.name for resource in self.resources)
        raise KeyError(f"no resource named {name!r}; resources: {known}")

    def by_urn(self, urn: str) -> RegisteredResource:
        """The resource with a URN."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(f"no resource with URN {urn!r}")


def evaluate_program(
    project: str,
    environment: str,
    *,
    upstream: Mapping[str, Mapping[str, Any]] | None = None,
    settings: EnvironmentSettings | None = None,
    preview: bool = False,
    projects_dir: Path = PROJECTS_DIR,
) -> ProgramResult:
    """Run `projects/<project>/__main__.py` as stack `<environment>` under the mock runtime.

    `upstream` maps a producer project name to the outputs its stack in the same environment
    exports. `settings` replaces the environment's settings from `shared/environments` for
    this evaluation (a test's seam; see `shared.settings.overridden_settings`). Raises
    ProgramError if the program fails and StackConfigError if its config files are unusable.
    """
    if settings is not None and settings.environment != environment:
        raise ValueError(
            f"settings are for environment {settings.environment!r}, not {environment!r}"
        )
    program = projects_dir / project / "__main__.py"
    if not program.is_file():
        raise StackConfigError(f"project {project!r} has no program at {program}")
    config = stack_config(project, environment, projects_dir=projects_dir)
    mocks = PlanMocks(
        environment=environment,
        upstream=upstream or {},
        disabled_default_providers=_disabled_default_providers(config),
    )
    evaluation = functools.partial(
        _evaluate_on_loop,
        project=project,
        environment=environment,
        program=program,
        config=config,
        mocks=mocks,
        settings=settings,
        preview=preview,
    )
    # A fresh context per evaluation: the runtime keeps its state (root stack, config, settings)
    # in context variables, so evaluations never see each other's and leave nothing behind.
    context = contextvars.copy_context()
    return run_isolated(lambda loop: context.run(evaluation, loop))


def stack_config(
    project: str, environment: str, *, projects_dir: Path = PROJECTS_DIR
) -> dict[str, str]:
    """The config a stack's program receives: project-level values overlaid by the stack file.

    Keys are fully qualified (`<namespace>:<key>`) and values are strings, JSON for anything
    structured, as the engine passes them to a Python program.
    """
    project_dir = projects_dir / project
    project_file = read_mapping(project_dir / "Pulumi.yaml", error=StackConfigError)
    if project_file.get("name") != project:
        raise StackConfigError(
            f"{project_dir / 'Pulumi.yaml'}: name is {project_file.get('name')!r}, "
            f"expected {project!r}"
        )
    values: dict[str, Any] = {}
    for key, declaration in (project_file.get("config") or {}).items():
        full_key = _qualified(project, key)
        if isinstance(declaration, Mapping) and {"value", "default"} & set(declaration):
            values[full_key] = declaration.get("value", declaration.get("default"))
        elif not isinstance(declaration, Mapping) or ":" in key:
            values[full_key] = declaration
    stack_file = project_dir / f"Pulumi.{environment}.yaml"
    for key, value in (
        read_mapping(stack_file, error=StackConfigError).get("config") or {}
    ).items():
        if isinstance(value, Mapping) and "secure" in value:
            raise StackConfigError(
                f"{stack_file}: {key} is a secret; the offline evaluation cannot decrypt it"
            )
        values[_qualified(project, key)] = value
    return {key: _config_text(value) for key, value in values.items()}


class PlanMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and provider calls with deterministic placeholders."""

    def __init__(
        self,
        *,
        environment: str,
        upstream: Mapping[str, Mapping[str, Any]],
        disabled_default_providers: frozenset[str] = frozenset(),
        account_id: str = PLACEHOLDER_ACCOUNT_ID,
    ) -> None:
        self.environment = environment
        self.upstream = {project: dict(outputs) for project, outputs in upstream.items()}
        self.disabled_default_providers = disabled_default_providers
        self.account_id = account_id
        # Provider URN -> the region it was configured with (recorded by the monitor); ARNs
        # and invoke answers are per provider, as they are for the real engine.
        self.provider_regions: dict[str, str] = {}

    def new_resource(
        self, args: pulumi_mocks.MockResourceArgs
    ) -> tuple[str | None, dict[str, Any]]:
        """Placeholder id and state (inputs plus computed outputs) for one resource."""
        inputs = dict(args.inputs)
        if args.typ == STACK_REFERENCE_TYPE:
            return self._stack_reference(args.name, inputs)
        if args.typ.startswith(PROVIDER_TYPE_PREFIX):
            return _placeholder_uuid(f"{args.typ}::{args.name}"), inputs
        if not args.custom:
            return "", inputs
        package = args.typ.split(":", 1)[0]
        if package in self.disabled_default_providers and not args.provider:
            raise RuntimeError(
                f"Default provider for {package!r} disabled. {args.typ!r} ({args.name}) must "
                "use an explicit provider"
            )
        region = self._region_of(args.provider)
        return _AwsPlaceholders(self.account_id, region, args.typ, args.name, inputs).state()

    def call(self, args: pulumi_mocks.MockCallArgs) -> tuple[dict[str, Any], list[Any]]:
        """Answers for the provider functions (invokes) the programs use."""
        package = args.token.split(":", 1)[0]
        if package in self.disabled_default_providers and not args.provider:
            raise RuntimeError(
                f"Default provider for {package!r} disabled. The call {args.token!r} must use "
                "an explicit provider (InvokeOptions(provider=...))"
            )
        region = self._region_of(args.provider)
        handler = _INVOKES.get(args.token)
        if handler is None:
            known = ", ".join(sorted(_INVOKES))
            raise NotImplementedError(
                f"the offline evaluation has no answer for {args.token!r}; known calls: {known} "
                "(add one to orchestration/plan/evaluate.py)"
            )
        return handler(self, region, dict(args.args)), []

    def _stack_reference(self, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        stack_name = str(inputs.get("name", name))
        try:
            organization, project, environment = stack_name.split("/")
        except ValueError:
            raise ValueError(
                f"stack reference {stack_name!r} is not fully qualified (<org>/<project>/<stack>)"
            ) from None
        if environment != self.environment:
            raise ValueError(
                f"stack reference {stack_name!r} crosses environments: this evaluation is "
                f"{self.environment!r}"
            )
        if project not in self.upstream:
            supplied = ", ".join(sorted(self.upstream)) or "none"
            raise ValueError(
                f"the program reads stack {stack_name!r}, but no outputs were supplied for "
                f"project {project!r} (supplied: {supplied})"
            )
        del organization
        outputs = dict(self.upstream[project])
        return stack_name, {"name": stack_name, "outputs": outputs, "secretOutputNames": []}

    def _region_of(self, provider_ref: str | None) -> str:
        return self.provider_regions.get(_urn_of_reference(provider_ref or ""), "")


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording each registration's options as the engine gets them."""

    def __init__(self, mocks: PlanMocks) -> None:
        super().__init__(mocks)
        self.plan_mocks = mocks
        self.recorded: list[RegisteredResource] = []
        self.stack_urn = ""
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
        else:
            self._record(request, response.urn, read=False)
        return response

    def ReadResource(self, request: Any) -> Any:
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        self._record(request, response.urn, read=True)
        return response

    def _record(self, request: Any, urn: str, *, read: bool) -> None:
        registration = self.resources[urn]
        inputs = rpc.deserialize_properties(request.properties if read else request.object)
        dependencies = (
            {}
            if read
            else {
                key: tuple(value.urns)
                for key, value in sorted(request.propertyDependencies.items())
            }
        )
        resource = RegisteredResource(
            type=request.type,
            name=request.name,
            urn=urn,
            custom=True if read else bool(request.custom),
            inputs=copy.deepcopy(inputs),
            outputs=copy.deepcopy(dict(registration.state)),
            id=registration.id or None,
            provider=_urn_of_reference(request.provider) or None,
            parent=request.parent or None,
            protect=False if read else bool(request.protect),
            retain_on_delete=False if read else bool(request.retainOnDelete),
            property_dependencies=dependencies,
            read=read,
        )
        with self._lock:
            self.recorded.append(resource)
            if resource.type.startswith(PROVIDER_TYPE_PREFIX):
                self.plan_mocks.provider_regions[urn] = str(inputs.get("region", ""))


def _evaluate_on_loop(
    loop: asyncio.AbstractEventLoop,
    /,
    *,
    project: str,
    environment: str,
    program: Path,
    config: dict[str, str],
    mocks: PlanMocks,
    settings: EnvironmentSettings | None,
    preview: bool,
) -> ProgramResult:
    runtime_settings.ROOT.set(None)
    set_all_config(config, secret_keys=[])
    monitor = _RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks,
        project=project,
        stack=environment,
        preview=preview,
        monitor=monitor,
        organization=DIY_ORGANIZATION,
    )
    runtime_settings.SETTINGS.outputs = set()
    stack = runtime_settings.get_root_resource()
    if not isinstance(stack, Stack):
        raise RuntimeError("the mock runtime did not create a root stack")
    exported: dict[str, Any] = {}

    async def run() -> None:
        runpy.run_path(str(program), run_name="__main__")
        for name, value in stack.outputs.items():
            exported[name] = await pulumi.Output.from_input(value).future()

    with overridden_settings(settings) if settings is not None else nullcontext():
        try:
            loop.run_until_complete(run_pulumi_func(run))
        except Exception as error:
            raise ProgramError(project, environment, error) from error
    return ProgramResult(
        project=project,
        environment=environment,
        config=dict(config),
        resources=_tree_order(monitor.recorded),
        outputs=exported,
    )


def _tree_order(resources: list[RegisteredResource]) -> tuple[RegisteredResource, ...]:
    """Parents before children; siblings providers first, then by URN."""
    by_parent: dict[str | None, list[RegisteredResource]] = {}
    urns = {resource.urn for resource in resources}
    for resource in resources:
        parent = resource.parent if resource.parent in urns else None
        by_parent.setdefault(parent, []).append(resource)

    def walk(parent: str | None) -> Iterator[RegisteredResource]:
        children = sorted(
            by_parent.get(parent, []),
            key=lambda r: (not r.type.startswith(PROVIDER_TYPE_PREFIX), r.urn),
        )
        for child in children:
            yield child
            yield from walk(child.urn)

    return tuple(walk(None))


class _AwsPlaceholders:
    """Placeholder outputs for one AWS resource, shaped like what AWS would return."""

    def __init__(
        self, account: str, region: str, type_: str, name: str, inputs: dict[str, Any]
    ) -> None:
        self.account = account
        self.region = region
        self.type = type_
        self.name = name
        self.inputs = inputs
        self.digest = hashlib.sha256(f"{type_}::{name}".encode()).hexdigest()

    def hex_id(self, prefix: str, length: int = 17) -> str:
        return (
            f"{prefix}-{PLACEHOLDER_ID_PREFIX}{self.digest[: length - len(PLACEHOLDER_ID_PREFIX)]}"
        )

    def physical_name(self, key: str = "name", limit: int = 64) -> str:
        given = self.inputs.get(key)
        if isinstance(given, str) and given:
            return given
        return f"{self.name[: limit - 8]}-{self.digest[:7]}"

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )

    def state(self) -> tuple[str, dict[str, Any]]:
        handler = _RESOURCE_OUTPUTS.get(self.type, _AwsPlaceholders._generic)
        resource_id, computed = handler(self)
        state = {**self.inputs, **computed}
        if self.region:
            state.setdefault("region", self.region)
        return resource_id, state

    def _generic(self) -> tuple[str, dict[str, Any]]:
        module, kind = self.type.split(":")[1].split("/")[0], self.type.rsplit(":", 1)[-1]
        resource_id = self.hex_id(kind.lower()[:8])
        return resource_id, {"arn": self.arn(module, f"{kind.lower()}/{resource_id}")}

    def _kms_key(self) -> tuple[str, dict[str, Any]]:
        key_id = _placeholder_uuid(self.digest)
        return key_id, {"arn": self.arn("kms", f"key/{key_id}"), "keyId": key_id}

    def _kms_alias(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name()
        target = self.inputs.get("targetKeyId", "")
        return name, {
            "arn": self.arn("kms", name),
            "name": name,
            "targetKeyArn": target
            if str(target).startswith("arn:")
            else self.arn("kms", f"key/{target}"),
        }

    def _bucket(self) -> tuple[str, dict[str, Any]]:
        name = self.inputs.get("bucket") or f"{self.name.lower()[:55]}-{self.digest[:7]}"
        return name, {
            "bucket": name,
            "arn": f"arn:aws:s3:::{name}",
            "bucketDomainName": f"{name}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{name}.s3.{self.region}.amazonaws.com",
        }

    def _bucket_side(self) -> tuple[str, dict[str, Any]]:
        return str(self.inputs.get("bucket", self.name)), {}

    def _ec2(self, prefix: str, kind: str) -> tuple[str, dict[str, Any]]:
        resource_id = self.hex_id(prefix)
        return resource_id, {"arn": self.arn("ec2", f"{kind}/{resource_id}")}

    def _vpc(self) -> tuple[str, dict[str, Any]]:
        resource_id, computed = self._ec2("vpc", "vpc")
        return resource_id, {
            **computed,
            "defaultSecurityGroupId": self.hex_id("sg"),
            "mainRouteTableId": self.hex_id("rtb"),
            "defaultRouteTableId": self.hex_id("rtb"),
            "defaultNetworkAclId": self.hex_id("acl"),
            "ownerId": self.account,
        }

    def _security_group(self) -> tuple[str, dict[str, Any]]:
        resource_id, computed = self._ec2("sg", "security-group")
        return resource_id, {**computed, "name": self.physical_name(limit=255)}

    def _security_group_rule(self) -> tuple[str, dict[str, Any]]:
        resource_id, computed = self._ec2("sgr", "security-group-rule")
        return resource_id, {**computed, "securityGroupRuleId": resource_id}

    def _instance(self) -> tuple[str, dict[str, Any]]:
        resource_id, computed = self._ec2("i", "instance")
        octet = int(self.digest[:2], 16) % 254 + 1
        public_ip = f"203.0.113.{octet}"
        private_ip = f"10.0.{int(self.digest[2:4], 16) % 256}.{octet}"
        return resource_id, {
            **computed,
            "publicIp": public_ip if self.inputs.get("associatePublicIpAddress") else "",
            "publicDns": (
                f"ec2-{public_ip.replace('.', '-')}.{self.region}.compute.amazonaws.com"
                if self.inputs.get("associatePublicIpAddress")
                else ""
            ),
            "privateIp": private_ip,
            "privateDns": f"ip-{private_ip.replace('.', '-')}.{self.region}.compute.internal",
            "instanceState": "running",
            "primaryNetworkInterfaceId": self.hex_id("eni"),
        }

    def _iam_role(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name()
        return name, {
            "name": name,
            "arn": self.arn("iam", f"role/{name}", region=False),
            "uniqueId": f"AROA{self.digest[:17].upper()}",
        }

    def _instance_profile(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name(limit=128)
        return name, {
            "name": name,
            "arn": self.arn("iam", f"instance-profile/{name}", region=False),
            "uniqueId": f"AIPA{self.digest[:17].upper()}",
        }

    def _role_policy(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name()
        return f"{self.inputs.get('role', '')}:{name}", {"name": name}

    def _load_balancer(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name(limit=32)
        suffix = f"app/{name}/{PLACEHOLDER_ID_PREFIX}{self.digest[:12]}"
        arn = self.arn("elasticloadbalancing", f"loadbalancer/{suffix}")
        number = int(self.digest[:8], 16) % 10**9
        return arn, {
            "arn": arn,
            "arnSuffix": suffix,
            "name": name,
            "dnsName": f"{name}-{number}.{self.region}.elb.amazonaws.com",
            "zoneId": "Z1H1FL5HABSF5",
        }

    def _target_group(self) -> tuple[str, dict[str, Any]]:
        name = self.physical_name(limit=32)
        suffix = f"targetgroup/{name}/{PLACEHOLDER_ID_PREFIX}{self.digest[:12]}"
        arn = self.arn("elasticloadbalancing", suffix)
        return arn, {"arn": arn, "arnSuffix": suffix, "name": name}

    def _listener(self) -> tuple[str, dict[str, Any]]:
        balancer = str(self.inputs.get("loadBalancerArn", ""))
        base = balancer.replace(":loadbalancer/", ":listener/") or self.arn(
            "elasticloadbalancing", "listener/app/unknown/0"
        )
        arn = f"{base}/{PLACEHOLDER_ID_PREFIX}{self.digest[:12]}"
        return arn, {"arn": arn}


_Outputs = Callable[[_AwsPlaceholders], tuple[str, dict[str, Any]]]
_RESOURCE_OUTPUTS: dict[str, _Outputs] = {
    "aws:kms/key:Key": _AwsPlaceholders._kms_key,
    "aws:kms/alias:Alias": _AwsPlaceholders._kms_alias,
    "aws:s3/bucket:Bucket": _AwsPlaceholders._bucket,
    **dict.fromkeys(
        (
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketVersioning:BucketVersioning",
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            "aws:s3/bucketPolicy:BucketPolicy",
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            "aws:s3/bucketLogging:BucketLogging",
        ),
        _AwsPlaceholders._bucket_side,
    ),
    "aws:ec2/vpc:Vpc": _AwsPlaceholders._vpc,
    "aws:ec2/subnet:Subnet": lambda p: p._ec2("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": lambda p: p._ec2("igw", "internet-gateway"),
    "aws:ec2/routeTable:RouteTable": lambda p: p._ec2("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": lambda p: (p.hex_id("rtbassoc"), {}),
    "aws:ec2/route:Route": lambda p: (p.hex_id("r-rtb"), {}),
    "aws:ec2/securityGroup:SecurityGroup": _AwsPlaceholders._security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _AwsPlaceholders._security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (
        _AwsPlaceholders._security_group_rule
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        _AwsPlaceholders._security_group_rule
    ),
    "aws:ec2/instance:Instance": _AwsPlaceholders._instance,
    "aws:iam/role:Role": _AwsPlaceholders._iam_role,
    "aws:iam/instanceProfile:InstanceProfile": _AwsPlaceholders._instance_profile,
    "aws:iam/rolePolicy:RolePolicy": _AwsPlaceholders._role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda p: (
        f"{p.inputs.get('role', '')}-{PLACEHOLDER_ID_PREFIX}{p.digest[:16]}",
        {},
    ),
    "aws:lb/loadBalancer:LoadBalancer": _AwsPlaceholders._load_balancer,
    "aws:lb/targetGroup:TargetGroup": _AwsPlaceholders._target_group,
    "aws:lb/listener:Listener": _AwsPlaceholders._listener,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": lambda p: (
        f"{p.inputs.get('targetGroupArn', '')}-{PLACEHOLDER_ID_PREFIX}{p.digest[:16]}",
        {},
    ),
}


def _caller_identity(mocks: PlanMocks, _region: str, _args: dict[str, Any]) -> dict[str, Any]:
    return {
        "accountId": mocks.account_id,
        "arn": f"arn:aws:sts::{mocks.account_id}:assumed-role/offline-plan/placeholder",
        "userId": "AROAPLACEHOLDER:placeholder",
        "id": mocks.account_id,
    }


def _partition(_mocks: PlanMocks, region: str, _args: dict[str, Any]) -> dict[str, Any]:
    partition = _partition_of(region)
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    return {
        "partition": partition,
        "dnsSuffix": suffix,
        "reverseDnsPrefix": ".".join(reversed(suffix.split("."))),
        "id": partition,
    }


def _region(_mocks: PlanMocks, region: str, _args: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": region,
        "region": region,
        "id": region,
        "endpoint": f"ec2.{region}.amazonaws.com",
        "description": region,
    }


def _availability_zones(_mocks: PlanMocks, region: str, _args: dict[str, Any]) -> dict[str, Any]:
    letters = "abcd"
    *words, number = region.split("-")
    short = "".join(word[0] for word in words) + number
    return {
        "id": region,
        "names": [f"{region}{letter}" for letter in letters],
        "zoneIds": [f"{short}-az{number}" for number in range(1, len(letters) + 1)],
        "groupNames": [region] * len(letters),
        "state": "available",
    }


def _ssm_parameter(_mocks: PlanMocks, region: str, args: dict[str, Any]) -> dict[str, Any]:
    name = str(args.get("name", ""))
    if name not in PUBLIC_AMI_PARAMETERS:
        known = ", ".join(sorted(PUBLIC_AMI_PARAMETERS))
        raise ValueError(f"the offline evaluation knows no SSM parameter {name!r}; known: {known}")
    return {
        "id": name,
        "name": name,
        "arn": f"arn:{_partition_of(region)}:ssm:{region}::parameter{name}",
        "type": "String",
        "value": PLACEHOLDER_AMI_ID,
        "insecureValue": PLACEHOLDER_AMI_ID,
        "version": 1,
        "withDecryption": bool(args.get("withDecryption", True)),
    }


_Invoke = Callable[[PlanMocks, str, dict[str, Any]], dict[str, Any]]
_INVOKES: dict[str, _Invoke] = {
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getPartition:getPartition": _partition,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:ssm/getParameter:getParameter": _ssm_parameter,
}


def placeholder_stack_name(project: str, environment: str) -> str:
    """The fully qualified name a program's StackReference uses in an evaluation."""
    return qualified_stack_name(DIY_ORGANIZATION, project, environment)


def _partition_of(region: str) -> str:
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("cn-"):
        return "aws-cn"
    return "aws"


def _placeholder_uuid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest()
    head = f"{PLACEHOLDER_ID_PREFIX}{digest[:4]}"
    return f"{head}-{digest[4:8]}-4{digest[8:11]}-8{digest[11:14]}-{digest[14:26]}"


def _urn_of_reference(reference: str) -> str:
    """A provider reference is `<urn>::<id>`; the URN itself contains `::`."""
    return reference.rsplit("::", 1)[0] if reference else ""


def _disabled_default_providers(config: Mapping[str, str]) -> frozenset[str]:
    raw = config.get(DISABLE_DEFAULT_PROVIDERS_KEY)
    if not raw:
        return frozenset()
    value = json.loads(raw)
    return frozenset(str(item) for item in value) if isinstance(value, list) else frozenset()


def _qualified(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _config_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


__all__ = [
    "PLACEHOLDER_ACCOUNT_ID",
    "PLACEHOLDER_AMI_ID",
    "PLACEHOLDER_ID_PREFIX",
    "PROJECTS_DIR",
    "PlanMocks",
    "ProgramError",
    "ProgramResult",
    "RegisteredResource",
    "StackConfigError",
    "evaluate_program",
    "placeholder_stack_name",
    "stack_config",
]
