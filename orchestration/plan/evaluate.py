"""Evaluate a project's real `__main__.py` in-process under Pulumi's mock runtime.

This is the engine of the offline plan and of the program tests: it runs the program exactly as
`pulumi up -s <env>` would (same project name, stack name, organization and stack config, read
from the project's `Pulumi.yaml` and `Pulumi.<env>.yaml`), but every resource registration and
provider call is answered here, in memory, with deterministic placeholders. Nothing talks to AWS
or to a Pulumi backend and nothing is written anywhere, so it is safe before any stack exists.

The parts: `stack_config.py` reads the config, `mocks.py` answers the registrations and calls
(with the values of `placeholders.py`, and upstream stacks' outputs supplied by the caller as
`upstream={"security": {...outputs...}}`), `isolation.py` gives each evaluation its own thread
and event loops. This module runs the program and records what it registered.
"""

from __future__ import annotations

import asyncio
import contextvars
import copy
import functools
import runpy
import threading
from collections.abc import Iterator, Mapping
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
from orchestration.plan.mocks import PlanMocks, urn_of_reference
from orchestration.plan.program_config import (
    StackConfigError,
    disabled_default_providers,
    stack_config,
)
from shared import aws_types as t
from shared.paths import PROJECTS_DIR
from shared.references import DIY_ORGANIZATION
from shared.settings import EnvironmentSettings, overridden_settings


class ProgramExited(Exception):
    """The program called sys.exit(): `pulumi up` would delete everything it did not register."""

    def __init__(self, code: object) -> None:
        super().__init__(
            f"the program called sys.exit({code!r}) before registering its outputs; under "
            "`pulumi up` that would delete every resource of the stack"
        )


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
    # Replaced by deleting first (a unique name or route the replacement would collide with).
    delete_before_replace: bool = False
    # URNs of the resources each input property's value came from.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # URNs of every resource this one waits for: its inputs' sources and its `depends_on`.
    dependencies: tuple[str, ...] = ()
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
    # The provider functions called (token, arguments), in call order.
    calls: tuple[tuple[str, Mapping[str, Any]], ...] = ()

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
        disabled_default_providers=disabled_default_providers(config),
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
        if request.type == t.STACK:
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
        # Sorted: the SDK sends each property's dependencies as list(set(...)), whose order can
        # differ from one evaluation to the next; they are a set of URNs either way.
        dependencies = (
            {}
            if read
            else {
                key: tuple(sorted(value.urns))
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
            provider=urn_of_reference(request.provider) or None,
            parent=request.parent or None,
            protect=False if read else bool(request.protect),
            retain_on_delete=False if read else bool(request.retainOnDelete),
            delete_before_replace=False if read else bool(request.deleteBeforeReplace),
            property_dependencies=dependencies,
            dependencies=() if read else tuple(sorted(request.dependencies)),
            read=read,
        )
        with self._lock:
            self.recorded.append(resource)
            if resource.type.startswith(t.PROVIDER_PREFIX):
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
        try:
            runpy.run_path(str(program), run_name="__main__")
        except SystemExit as exited:
            # Not an Exception: left alone it would end the plan itself, silently on exit 0.
            raise ProgramExited(exited.code) from None
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
        calls=tuple(mocks.calls),
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
            key=lambda r: (not r.type.startswith(t.PROVIDER_PREFIX), r.urn),
        )
        for child in children:
            yield child
            yield from walk(child.urn)

    return tuple(walk(None))


__all__ = [
    "ProgramError",
    "ProgramResult",
    "RegisteredResource",
    "evaluate_program",
]
