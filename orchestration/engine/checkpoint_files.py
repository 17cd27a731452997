"""A damaged checkpoint found and named, with the intact copy that puts it back.

One unreadable checkpoint (a full disk cut `compute/development.json` short) makes the CLI's
listing of every stack fail with only `place 1: unexpected end of JSON input`. On the local
file backend the checkpoints are files, so each is judged (`orchestration.state.checkpoint`)
to name the damaged one, with the backend's own copies: `<stack>.json.bak` (the previous
checkpoint) and `.pulumi/backups/<project>/<stack>/<stack>.<unix nanoseconds>.json`. On other
backends the objects are not read here: the message points at `invoke state history`, which
checks every stored version.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestration.engine.interface import DamagedCheckpoints, EngineError, EngineFailure
from orchestration.state.checkpoint import check_checkpoint

# What the CLI says when a checkpoint is not JSON (Go's encoding/json, through its loader).
DAMAGED_JSON = re.compile(
    r"unexpected end of JSON input|invalid character .* looking for|failed to load checkpoint"
)


@dataclass(frozen=True)
class Judged:
    """The local checkpoints of an environment: what is damaged, and the intact listing."""

    damaged: dict[str, str]
    inventory: dict[str, int]


def damage_error(
    text: str, *, url: str, stack: str, projects: Iterable[str], again: str
) -> EngineError | None:
    """The error for a listing that failed on a damaged checkpoint (None: it did not).

    `text`: the CLI's output; `url`: the backend's; `stack` formats `{project}` as a stack's
    name; `again` is appended to the commands the messages print (`--endpoint URL`).
    """
    if not DAMAGED_JSON.search(text):
        return None
    environment = stack.rsplit("/", 1)[-1]
    if not url.startswith("file://"):
        return EngineFailure(shared_damage(url, environment, again))
    root = Path(url.removeprefix("file://")) / ".pulumi"
    judged = judge_local(root, projects, environment, stack=stack, again=again)
    if not judged.damaged:
        return None
    return DamagedCheckpoints(judged.damaged, judged.inventory)


def backups(root: Path, project: str, environment: str) -> list[Path]:
    """The backend's backups of a stack's checkpoint under `root` (`.pulumi`), newest first."""
    stamped = {
        int(stamp): path
        for path in (root / "backups" / project / environment).glob(f"{environment}.*.json")
        if (stamp := path.name.removeprefix(f"{environment}.").removesuffix(".json")).isdigit()
    }
    return [stamped[stamp] for stamp in sorted(stamped, reverse=True)]


def judge_local(
    root: Path, projects: Iterable[str], environment: str, *, stack: str, again: str
) -> Judged:
    """Judge each project's checkpoint under `root`; `stack` formats `{project}` as its name,
    `again` is appended to the commands the messages print (`--endpoint URL`)."""
    damaged: dict[str, str] = {}
    inventory: dict[str, int] = {}
    for project in projects:
        path = root / "stacks" / project / f"{environment}.json"
        if not path.is_file():
            continue
        check = check_checkpoint(path.read_bytes(), project, environment)
        if check.resources is not None:
            inventory[project] = check.resources
            continue
        name = stack.format(project=project)
        damaged[project] = (
            f"the checkpoint of {name} ({path}) is damaged ({check.problem}): "
            f"{_put_back(root, path, project, environment)}, then "
            f"`invoke refresh --env {environment} --project {project}{again}` reconciles it "
            "with the cloud. The other stacks are not affected."
        )
    return Judged(damaged, inventory)


def _put_back(root: Path, path: Path, project: str, environment: str) -> str:
    candidates = [path.with_name(f"{path.name}.bak"), *backups(root, project, environment)]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        check = check_checkpoint(candidate.read_bytes(), project, environment)
        if check.resources is not None:
            copy = f"cp {shlex.quote(str(candidate))} {shlex.quote(str(path))}"
            return (
                f"put the newest intact copy back ({check.resources} resources): `{copy}` "
                "(the damaged file is replaced; copy it aside first to keep it)"
            )
    return (
        f"the backend holds no intact copy of it (neither {path.name}.bak nor "
        f"{root / 'backups' / project / environment}): restore it from your own backups"
    )


def shared_damage(url: str, environment: str, again: str) -> str:
    """The message for a damaged checkpoint on a backend whose objects are not read here."""
    where = url.split("?", 1)[0]
    return (
        f"a checkpoint in {where} is damaged (the Pulumi CLI cannot read it and does not say "
        f"whose): `invoke state history --env {environment} --project P{again}` for each "
        "project lists its versions, the damaged ones marked DAMAGED; `invoke state restore "
        f"--env {environment} --project P --version ID{again}` puts an intact one back"
    )
