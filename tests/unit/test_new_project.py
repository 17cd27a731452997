"""`invoke new-project` refuses what would not work before it writes anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.paths import PROJECTS_DIR
from shared.topology import TOPOLOGY
from tests.topology_roles import UNUSED
from tooling.new_project import NewProjectError, plan_project

PRODUCER = TOPOLOGY.names[0]
OUTPUT = TOPOLOGY.project(PRODUCER).exports[0]


def test_a_valid_request_reads_what_the_producer_exports() -> None:
    project = plan_project(UNUSED, "messaging", [f"{PRODUCER}.{OUTPUT}"])

    assert project.spec.requires == {PRODUCER: (OUTPUT,)}
    assert project.spec.exports == ()
    assert project.spec.team == "messaging"


@pytest.mark.parametrize(
    ("name", "team", "reads", "refusal"),
    [
        (TOPOLOGY.names[-1], "web", [], "exists already"),
        ("Queue", "messaging", [], "project name 'Queue'"),
        ("my-queue", "messaging", [], "project name 'my-queue'"),
        (UNUSED, "Messaging Team", [], "team 'Messaging Team'"),
        (UNUSED, "messaging", ["kms_key_arn"], "write PROJECT.OUTPUT"),
        (UNUSED, "messaging", [f"{PRODUCER}.no_such_output"], "does not export"),
        (UNUSED, "messaging", ["nowhere.url"], "unknown project 'nowhere'"),
    ],
)
def test_a_request_that_would_not_work_is_refused(
    name: str, team: str, reads: list[str], refusal: str
) -> None:
    with pytest.raises(NewProjectError) as raised:
        plan_project(name, team, reads, projects_dir=PROJECTS_DIR)

    assert refusal in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_description_that_would_break_the_files_is_refused() -> None:
    with pytest.raises(NewProjectError, match="--description"):
        plan_project(UNUSED, "messaging", [], 'say "hi"')


def test_a_folder_of_that_name_is_refused_even_without_an_entry(tmp_path: Path) -> None:
    (tmp_path / UNUSED).mkdir()

    with pytest.raises(NewProjectError, match="exists already"):
        plan_project(UNUSED, "messaging", [], projects_dir=tmp_path)
