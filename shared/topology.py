"""The projects, who owns them, and the output contract between them: declared once.

Everything else is derived from this declaration: which projects depend on which, the deploy
order (as levels whose members may run concurrently), the teardown order, and which outputs a
consumer may read through a StackReference. Renaming an output here breaks a test, not a deploy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType


class ContractError(ValueError):
    """The topology or the output contract is inconsistent, or a read breaks the contract."""


@dataclass(frozen=True)
class ProjectSpec:
    """One Pulumi project (micro-stack): what it exports and what it reads from whom."""

    name: str
    team: str
    description: str
    exports: tuple[str, ...]
    requires: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Exports whose empty value ("" or []) is a real answer ("no log bucket here"); every other
    # export must hold a value, so a program cannot hand its consumers nothing by mistake.
    may_be_empty: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Freeze the mapping so a spec cannot be changed after the topology checked it.
        object.__setattr__(self, "requires", MappingProxyType(dict(self.requires)))
        undeclared = sorted(set(self.may_be_empty) - set(self.exports))
        if undeclared:
            raise ContractError(
                f"project {self.name!r} lets {', '.join(undeclared)} be empty, but does not "
                "export it"
            )

    @property
    def depends_on(self) -> tuple[str, ...]:
        """The projects this one reads outputs from."""
        return tuple(sorted(self.requires))


class Topology:
    """A validated set of projects with the orders and relations derived from it."""

    def __init__(self, projects: Iterable[ProjectSpec]) -> None:
        self._projects = {spec.name: spec for spec in projects}
        self._levels = self._validate_and_level()

    @property
    def names(self) -> tuple[str, ...]:
        """Project names in deploy order."""
        return tuple(name for level in self._levels for name in level)

    def project(self, name: str) -> ProjectSpec:
        """The spec of one project; ContractError naming the known ones if there is none."""
        try:
            return self._projects[name]
        except KeyError:
            known = ", ".join(self.names)
            raise ContractError(f"unknown project {name!r}; known projects: {known}") from None

    def deploy_levels(self, selected: Iterable[str] | None = None) -> tuple[tuple[str, ...], ...]:
        """Deploy order as levels: a project's producers are all in earlier levels."""
        chosen = set(self.names if selected is None else selected)
        for name in chosen:
            self.project(name)
        levels = (tuple(name for name in level if name in chosen) for level in self._levels)
        return tuple(level for level in levels if level)

    def deploy_order(self, selected: Iterable[str] | None = None) -> tuple[str, ...]:
        """Deploy order, flattened."""
        return tuple(name for level in self.deploy_levels(selected) for name in level)

    def teardown_order(self, selected: Iterable[str] | None = None) -> tuple[str, ...]:
        """Consumers before producers: the reverse of the deploy order."""
        return tuple(reversed(self.deploy_order(selected)))

    def teardown_levels(self, selected: Iterable[str] | None = None) -> tuple[tuple[str, ...], ...]:
        """Teardown order as levels."""
        return tuple(reversed(self.deploy_levels(selected)))

    def consumers(self, name: str) -> tuple[str, ...]:
        """Projects that read outputs of `name` directly."""
        self.project(name)
        return tuple(other for other in self.names if name in self._projects[other].requires)

    def all_consumers(self, name: str) -> tuple[str, ...]:
        """Every project that depends on `name`, directly or not, in deploy order."""
        found: set[str] = set()
        pending = [name]
        while pending:
            for consumer in self.consumers(pending.pop()):
                if consumer not in found:
                    found.add(consumer)
                    pending.append(consumer)
        return tuple(other for other in self.names if other in found)

    def all_producers(self, name: str) -> tuple[str, ...]:
        """Every project `name` depends on, directly or not, in deploy order."""
        found: set[str] = set()
        pending = [name]
        while pending:
            for producer in self.project(pending.pop()).depends_on:
                if producer not in found:
                    found.add(producer)
                    pending.append(producer)
        return tuple(other for other in self.names if other in found)

    def check_read(self, consumer: str, producer: str, output: str) -> None:
        """Refuse a read of `producer.output` that `consumer` has not declared in the contract."""
        declared = self.project(consumer).requires.get(producer, ())
        if output not in declared:
            raise ContractError(
                f"project {consumer!r} reads {producer}.{output}, which its contract does not "
                f"declare; add it to {consumer!r}'s requires in shared/topology.py"
            )

    def check_folders(self, projects_dir: Path) -> None:
        """ContractError when the folders under `projects_dir` and the projects disagree.

        A project is its folder and its entry here; one without the other would be deployed
        by nobody, or by every command but not in order, so each command refuses it first.
        """
        folders = {
            path.name
            for path in projects_dir.iterdir()
            if path.is_dir() and not path.name.startswith((".", "__"))
        }
        unknown = sorted(folders - set(self._projects))
        if unknown:
            raise ContractError(
                f"{projects_dir.name}/{unknown[0]}/ is not a project of shared/topology.py: add "
                f"a ProjectSpec(name={unknown[0]!r}, team=..., exports=...) to TOPOLOGY there, "
                "or remove the folder"
            )
        missing = [name for name in self.names if name not in folders]
        if missing:
            raise ContractError(
                f"shared/topology.py declares project {missing[0]!r}, but "
                f"{projects_dir.name}/{missing[0]}/ does not exist: add the folder (Pulumi.yaml, "
                "__main__.py, a stack file per environment) or remove the entry"
            )

    def _validate_and_level(self) -> tuple[tuple[str, ...], ...]:
        for spec in self._projects.values():
            for producer, outputs in spec.requires.items():
                if producer == spec.name:
                    raise ContractError(f"project {spec.name!r} must not depend on itself")
                if producer not in self._projects:
                    raise ContractError(
                        f"project {spec.name!r} requires outputs of unknown project {producer!r}"
                    )
                missing = sorted(set(outputs) - set(self._projects[producer].exports))
                if missing:
                    raise ContractError(
                        f"project {spec.name!r} requires {producer}.{', '.join(missing)}, "
                        f"which {producer!r} does not export"
                    )
        levels: list[tuple[str, ...]] = []
        placed: set[str] = set()
        while len(placed) < len(self._projects):
            ready = tuple(
                sorted(
                    name
                    for name, spec in self._projects.items()
                    if name not in placed and set(spec.requires) <= placed
                )
            )
            if not ready:
                stuck = ", ".join(sorted(set(self._projects) - placed))
                raise ContractError(f"dependency cycle among projects: {stuck}")
            levels.append(ready)
            placed.update(ready)
        return tuple(levels)


SECURITY = "security"
STORAGE = "storage"
COMPUTE = "compute"

# Export keys: a stable interface between stacks (snake_case, declared here only).
KMS_KEY_ARN = "kms_key_arn"
KMS_KEY_ID = "kms_key_id"
KMS_ALIAS_NAME = "kms_alias_name"
BUCKET_NAME = "bucket_name"
BUCKET_ARN = "bucket_arn"
# The bucket production's logs go to (S3 server access logs, load balancer access logs); ""
# where there is none (development).
LOG_BUCKET_NAME = "log_bucket_name"
# The key prefix under which the log bucket lets Elastic Load Balancing write, and under which
# the compute layer's load balancer writes: one value both sides read.
LOAD_BALANCER_LOG_PREFIX = "load-balancer"
APP_URL = "url"
VPC_ID = "vpc_id"
SECURITY_GROUP_ID = "security_group_id"
# The instances Pulumi manages (development's one; empty in production, whose Auto Scaling group
# owns its instances) and the launch template production's instances launch from ("" elsewhere).
INSTANCE_IDS = "instance_ids"
LAUNCH_TEMPLATE_ID = "launch_template_id"

TOPOLOGY = Topology(
    [
        ProjectSpec(
            name=SECURITY,
            team="security",
            description="KMS customer-managed key that encrypts the data and volumes",
            exports=(KMS_KEY_ARN, KMS_KEY_ID, KMS_ALIAS_NAME),
        ),
        ProjectSpec(
            name=STORAGE,
            team="data",
            description="S3 application bucket, encrypted with the security stack's key",
            exports=(BUCKET_NAME, BUCKET_ARN, LOG_BUCKET_NAME),
            requires={SECURITY: (KMS_KEY_ARN,)},
            may_be_empty=(LOG_BUCKET_NAME,),
        ),
        ProjectSpec(
            name=COMPUTE,
            team="web",
            description="Network, instances and load balancer running the web application",
            exports=(APP_URL, VPC_ID, SECURITY_GROUP_ID, INSTANCE_IDS, LAUNCH_TEMPLATE_ID),
            may_be_empty=(INSTANCE_IDS, LAUNCH_TEMPLATE_ID),
            requires={
                SECURITY: (KMS_KEY_ARN,),
                STORAGE: (BUCKET_NAME, BUCKET_ARN, LOG_BUCKET_NAME),
            },
        ),
    ]
)
