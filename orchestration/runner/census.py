"""The cloud census in a run: what the cloud holds for stacks whose state does not hold it.

A state can be lost without a consumer noticing (a leaf stack's, or every stack's), so the
state alone cannot say whether a stack's resources exist. The census
(`orchestration.state.census`) asks the cloud, once per run:

- `existing`: before a deploy creates a stack whose state is missing or empty; what it finds
  stops the deploy (the operations join it with the lost-state refusal), since creating the
  stack would make a second set beside resources nothing manages;
- `unmanaged`: in a drift, what is tagged for a stack that its state does not hold;
- `leftovers`: after a destroy, what is still tagged for a destroyed stack (a warning each).

A run without AWS access (no reader) skips it, saying so in one line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence

from orchestration.engine.interface import StackState
from orchestration.runner.report import TaskHint
from orchestration.state.census import (
    AUTOSCALING_GROUP_TAG,
    Census,
    CensusFailed,
    CloudResource,
)

# projects -> what the cloud holds for each (one call per run); CensusFailed when it cannot ask.
CensusReader = Callable[[Sequence[str]], Census]

# What AWS creates along with a resource the state holds (an instance's volumes and network
# interfaces): the state never records them, so a drift does not call them unmanaged.
_CREATED_WITH_OTHERS = frozenset({"ec2:volume", "ec2:network-interface"})
# How many ARNs a message lists before it only counts.
_LISTED = 5


class CensusGuard:
    """The census of one run: taken at most once, for the stacks the run asks about."""

    def __init__(
        self,
        reader: CensusReader | None,
        projects: Sequence[str],
        hint: TaskHint,
        stack_name: Callable[[str], str],
        say: Callable[[str], None],
    ) -> None:
        self._reader = reader
        self._projects = tuple(projects)
        self._hint = hint
        self._stack_name = stack_name
        self._say = say
        self._taken: Census | None = None

    def take(self) -> Census | None:
        """The census of every stack (one reading per run); None, said once, without AWS access.

        CensusFailed when the cloud cannot be asked.
        """
        if self._taken is not None:
            return self._taken
        if self._reader is None:
            self._say(
                "Cloud census skipped: this run has no AWS access, so whether resources "
                "tagged for the stacks exist outside their state is not checked."
            )
            self._taken = Census()
            return None
        self._taken = self._reader(self._projects)
        return self._taken

    def existing(self, projects: Iterable[str]) -> dict[str, tuple[CloudResource, ...]]:
        """project -> what the cloud holds for it, for those of `projects` it holds anything."""
        chosen = tuple(projects)
        if not chosen:
            return {}
        census = self.take()
        if census is None:
            return {}
        return {project: census.of(project) for project in chosen if census.of(project)}

    def take_or_warn(self, consequence: str) -> None:
        """Take the census now; when it fails, say so with `consequence` and go on without."""
        try:
            self.take()
        except CensusFailed as error:
            self._say(f"WARNING: {error}: {consequence}.")
            self._taken = Census()

    def refusals(self, projects: Sequence[str], *, recreate: bool) -> dict[str, str]:
        """project -> why a deploy must not create its stack, for those of `projects` (stacks
        without resources) the cloud holds something for; when the census cannot be taken,
        one entry ("census") saying so. `recreate`: the user knows; a failure is only said."""
        try:
            found = self.existing(projects)
        except CensusFailed as error:
            if recreate:
                self._say(f"WARNING: {error}; --recreate-missing-state: going on.")
                return {}
            return {"census": self.failed_message(error, projects)}
        return {name: self.found_message(name, resources) for name, resources in found.items()}

    def found_message(self, project: str, resources: Sequence[CloudResource]) -> str:
        """Why a deploy must not create `project`'s stack, and where its old state may be."""
        history = self._hint.command("state history", project)
        return (
            f"the state of {self._stack_name(project)} is missing or empty, but the cloud "
            f"holds {describe(resources)} tagged for it: creating the stack would make a "
            "second set and leave these unmanaged. Its old state may still be there: list the "
            f"checkpoint's stored versions with {history} (a state bucket), or look for "
            f"`.pulumi/stacks/{project}/{self._hint.environment}.json.bak` and "
            f"`.pulumi/backups/{project}/` (the local backend)."
        )

    def failed_message(self, error: CensusFailed, projects: Sequence[str]) -> str:
        """Why a deploy that would create `projects` stops when the census cannot be taken."""
        return (
            f"{error}: it must say whether the resources of {', '.join(projects)} already exist "
            "before they are created. Check the credentials and that the deploy role allows "
            "tag:GetResources and iam:GetRole (`invoke roles`)."
        )

    def unmanaged(self, project: str, state: StackState) -> tuple[CloudResource, ...]:
        """What the census found for `project` that its state does not hold."""
        census = self.take()
        if census is None:
            return ()
        held_arns = {resource.arn.removesuffix(":*") for resource in state.resources}
        held_ids = {resource.id for resource in state.resources if resource.id}
        return tuple(
            resource
            for resource in census.of(project)
            if resource.arn.removesuffix(":*") not in held_arns
            and resource.resource_id not in held_ids
            and resource.kind not in _CREATED_WITH_OTHERS
            and AUTOSCALING_GROUP_TAG not in resource.tags
        )

    def unmanaged_detail(self, project: str, read_state: Callable[[str], StackState]) -> str:
        """The drift detail naming what is tagged for `project` outside its state ("" if none);
        the state is read only when the census found something for the stack."""
        if not self.existing([project]):
            return ""
        resources = self.unmanaged(project, read_state(project))
        if not resources:
            return ""
        return (
            f"unmanaged: {describe(resources)} tagged for the stack that its state does not "
            f"hold ({listing(resources)}): restore the state that holds them, or delete them"
        )

    def leftovers(self, projects: Iterable[str]) -> list[str]:
        """A warning line for each destroyed stack the cloud still holds something for."""
        try:
            found = self.existing(projects)
        except CensusFailed as error:
            return [f"WARNING: {error}: what the destroy left behind is not checked."]
        return [
            f"WARNING: {self._stack_name(project)} was destroyed, but the cloud still holds "
            f"{describe(resources)} tagged for it ({listing(resources)})."
            for project, resources in found.items()
        ]


def describe(resources: Iterable[CloudResource]) -> str:
    """`3 resources (1 ec2:vpc, 2 ec2:subnet)`."""
    kinds = Counter(resource.kind for resource in resources)
    total = sum(kinds.values())
    parts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    return f"{total} resource{'s' if total != 1 else ''} ({parts})"


def listing(resources: Sequence[CloudResource]) -> str:
    """The first ARNs, then how many more."""
    shown = ", ".join(resource.arn for resource in resources[:_LISTED])
    more = len(resources) - _LISTED
    return shown + (f" and {more} more" if more > 0 else "")
