"""`invoke new-project`: a new team's project is its folder and its line in the topology.

It writes `projects/<name>/` (Pulumi.yaml with the shared settings, a stack file per
environment, a `__main__.py` that starts like every program, `config.py` with no knobs yet),
adds the project's entry to `shared/topology.py` (its team, the outputs it reads, no exports
yet), and regenerates the files derived from the topology (`invoke generate`). Everything is
checked before anything is written: an existing name, a name or team GitHub or AWS names would
refuse, a read of an output its producer does not export.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from shared.settings import known_environments
from shared.topology import TOPOLOGY, ContractError, ProjectSpec, Topology

# A project name is a folder, a Pulumi project, a stack-name part, a tag value and a Python
# package (`projects.<name>.config`): lowercase letters and digits, starting with a letter.
_PROJECT_NAME = re.compile(r"^[a-z][a-z0-9]{1,29}$")
# A GitHub team slug (CODEOWNERS names `@<organization>/<team>`).
_TEAM_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
_DESCRIPTION = re.compile(r'^[^"\\\n]{1,200}$')
_TOPOLOGY_END = "    ]\n)\n"


class NewProjectError(ValueError):
    """The new project cannot be added as asked; nothing was written."""


@dataclass(frozen=True)
class NewProject:
    """What `invoke new-project` was asked for, checked against the topology."""

    name: str
    team: str
    description: str
    reads: dict[str, tuple[str, ...]]

    @property
    def spec(self) -> ProjectSpec:
        return ProjectSpec(
            name=self.name,
            team=self.team,
            description=self.description,
            exports=(),
            requires=self.reads,
        )


def plan_project(
    name: str,
    team: str,
    reads: Sequence[str],
    description: str | None = None,
    *,
    topology: Topology = TOPOLOGY,
    projects_dir: Path | None = None,
) -> NewProject:
    """The project to add; NewProjectError (one message) for anything that would not work."""
    if not _PROJECT_NAME.match(name):
        raise NewProjectError(
            f"project name {name!r}: use 2-30 lowercase letters and digits, starting with a "
            "letter (it names a folder, stacks, tags and a Python package)"
        )
    if name in topology.names or (projects_dir is not None and (projects_dir / name).exists()):
        raise NewProjectError(f"project {name!r} exists already: choose another name")
    if not _TEAM_SLUG.match(team):
        raise NewProjectError(
            f"team {team!r}: give the GitHub team's slug (lowercase letters, digits and "
            "hyphens, e.g. `messaging`), as CODEOWNERS names it"
        )
    if description is not None and not _DESCRIPTION.match(description):
        raise NewProjectError(
            "--description: one line of at most 200 characters, without double quotes or "
            "backslashes (it goes into Pulumi.yaml and docstrings)"
        )
    wanted: dict[str, list[str]] = {}
    for read in reads:
        producer, dot, output = read.partition(".")
        if not dot or not producer or not output:
            raise NewProjectError(
                f"--reads {read!r}: write PROJECT.OUTPUT, e.g. security.kms_key_arn"
            )
        wanted.setdefault(producer, []).append(output)
    project = NewProject(
        name=name,
        team=team,
        description=description or f"The {name} project of the {team} team",
        reads={producer: tuple(outputs) for producer, outputs in wanted.items()},
    )
    try:
        Topology([*(topology.project(other) for other in topology.names), project.spec])
    except ContractError as error:
        raise NewProjectError(f"{error}. Nothing was written.") from None
    return project


def write_project(project: NewProject, root: Path, environments: Sequence[str]) -> list[Path]:
    """Write the folder and the topology entry under `root`; the files written."""
    topology_file = root / "shared" / "topology.py"
    text = topology_file.read_text(encoding="utf-8")
    if not text.endswith(_TOPOLOGY_END):
        raise NewProjectError(
            f"{topology_file} does not end with the TOPOLOGY list as generated; add the entry "
            "by hand"
        )
    folder = root / "projects" / project.name
    files = {
        folder / "__init__.py": f'"""{project.description} (team {project.team})."""\n',
        folder / "Pulumi.yaml": _pulumi_yaml(project),
        folder / "config.py": _CONFIG.format(
            name=project.name, cls=f"{project.name.title()}Config"
        ),
        folder / "__main__.py": _main(project),
        **{folder / f"Pulumi.{environment}.yaml": _STACK_FILE for environment in environments},
    }
    folder.mkdir(parents=True)
    for path, content in files.items():
        path.write_text(content, encoding="utf-8")
    topology_file.write_text(
        text.removesuffix(_TOPOLOGY_END) + _entry(project) + _TOPOLOGY_END, encoding="utf-8"
    )
    return [*files, topology_file]


def main(name: str, team: str, reads: Sequence[str], description: str | None, root: Path) -> int:
    """Check, write, regenerate; the exit code. NewProjectError for a refusal."""
    project = plan_project(name, team, reads, description, projects_dir=root / "projects")
    written = write_project(project, root, known_environments(root / "shared" / "environments"))
    for path in written:
        print(f"wrote {path.relative_to(root)}")
    # In a new interpreter: this one holds the topology as it was before the entry was added.
    subprocess.run([sys.executable, "-m", "tooling.generated"], cwd=root, check=True)
    print(
        f"Next: the {project.team} team writes projects/{name}/__main__.py (and config.py); "
        f"declare what it exports in shared/topology.py; `invoke plan --env development "
        f"--project {name}` shows it; once it has resources, `invoke graph --env production "
        "--pictures docs` re-renders README's pictures (it needs chromium)."
    )
    return 0


def _q(text: str) -> str:
    """A Python string literal in the double quotes ruff's formatter keeps."""
    return json.dumps(text)


def _entry(project: NewProject) -> str:
    requires = "".join(
        f"                {_q(producer)}: ({', '.join(_q(o) for o in outputs)},),\n"
        for producer, outputs in project.reads.items()
    )
    lines = (
        "        ProjectSpec(\n"
        f"            name={_q(project.name)},\n"
        f"            team={_q(project.team)},\n"
        f"            description={_q(project.description)},\n"
        "            exports=(),\n"
    )
    if requires:
        lines += "            requires={\n" + requires + "            },\n"
    return lines + "        ),\n"


def _pulumi_yaml(project: NewProject) -> str:
    return f"""\
name: {project.name}
description: {project.description}
runtime:
  name: python
  options:
    # The repo's uv environment, where `shared`, `program` and `orchestration` are installed.
    virtualenv: ../../.venv
config:
  # Every resource must use the explicit provider from program/provider.py; without this, one
  # that forgot it would silently take the region from AWS_REGION in the user's shell.
  pulumi:disable-default-providers:
    - aws
"""


_STACK_FILE = """\
# Only this project's knobs; environment-wide values live in shared/environments/.
config: {}
"""

_CONFIG = '''\
"""The {name} project's knobs (`{name}:<key>` in its Pulumi.<env>.yaml), read and checked once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

from shared.config_reading import ConfigGetter, build_config, config_reader
from shared.settings import EnvironmentSettings

PROJECT = "{name}"


@dataclass(frozen=True)
class {cls}:
    """None yet: add a field with a secure default, its key to KEYS, and read it below."""

    KEYS: ClassVar[tuple[str, ...]] = ()


def read_config(
    settings: EnvironmentSettings,
    get: ConfigGetter | None = None,
    keys: Iterable[str] | None = None,
) -> {cls}:
    """The project's knobs for `settings.environment`; a key it does not read is refused."""
    config_reader(PROJECT, settings, get, keys, {cls}.KEYS)
    return build_config({cls}, {{}}, settings)


# The keys `{name}:<key>` this project reads.
KEYS = {cls}.KEYS
'''


def _main(project: NewProject) -> str:
    reads = "".join(
        f"{output} = stack.require({_q(producer)}, {_q(output)})\n"
        for producer, outputs in project.reads.items()
        for output in outputs
    )
    return f'''"""{project.description}."""

from program.stack import start
from projects.{project.name}.config import read_config

stack = start({_q(project.name)}, read_config)

# The outputs this project reads (shared/topology.py declares them); build its components from
# them and `pulumi.export` what it declares as exports.
{reads}'''
