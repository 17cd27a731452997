"""A key a project does not read is refused, not silently ignored in favour of the default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.plan.evaluate import ProgramError, evaluate_program
from orchestration.preflight import KnobError, check_knobs
from projects.compute.config import ComputeConfig
from projects.compute.config import read_config as compute_config
from shared import topology
from shared.config_reading import ENGINE_KEYS, ProjectConfigError, check_known_keys, project_keys
from shared.paths import PROJECTS_DIR
from shared.settings import known_environments, load_settings


def test_a_misspelled_key_in_a_stack_file_stops_the_program_naming_the_nearest(
    tmp_path: Path,
) -> None:
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR / topology.SECURITY, projects / topology.SECURITY)
    stack_file = projects / topology.SECURITY / "Pulumi.development.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("keyDeletionWindowDays", "keyDeletionWindowDay")
    )

    with pytest.raises(ProgramError) as raised:
        evaluate_program(topology.SECURITY, "development", projects_dir=projects)

    message = str(raised.value)
    assert "security:keyDeletionWindowDay is not a setting of the security project" in message
    assert "did you mean security:keyDeletionWindowDays?" in message
    assert "projects/security/Pulumi.development.yaml" in message


def test_unknown_keys_without_a_near_match_list_the_known_ones() -> None:
    settings = load_settings("development")
    with pytest.raises(ProjectConfigError) as raised:
        check_known_keys("compute", ["colour"], ComputeConfig.KEYS, settings)

    message = str(raised.value)
    assert "compute:colour is not a setting of the compute project" in message
    assert "did you mean" not in message
    assert "Known settings: allowedCidrs, instanceType" in message


def test_a_caller_supplying_keys_is_checked_too() -> None:
    settings = load_settings("development")
    values = {"allowedCidrs": '["203.0.113.0/24"]', "instanceCnt": "3"}

    with pytest.raises(ProjectConfigError, match="did you mean compute:instanceCount"):
        compute_config(settings, values.get, keys=values)
    # Without keys the caller vouches for them: the known ones are read, nothing is refused.
    assert compute_config(settings, values.get).instance_count == 1


def test_a_key_of_a_misspelt_namespace_stops_the_program_naming_the_nearest(
    tmp_path: Path,
) -> None:
    # Issue 21: `securty:...` was ignored (only `security:` keys were checked) and the default
    # deletion window silently kept.
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR / topology.SECURITY, projects / topology.SECURITY)
    stack_file = projects / topology.SECURITY / "Pulumi.development.yaml"
    stack_file.write_text(stack_file.read_text() + "  securty:keyDeletionWindowDays: 30\n")

    with pytest.raises(ProgramError) as raised:
        evaluate_program(topology.SECURITY, "development", projects_dir=projects)

    message = str(raised.value)
    assert "securty:keyDeletionWindowDays is not read by the security project" in message
    assert "did you mean security:keyDeletionWindowDays?" in message


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("aws:region", "aws:region is refused: the region lives in shared/config/common.yaml only"),
        ("aws:profile", "aws:profile is refused: no resource uses the default aws provider"),
        ("compute:webPort", "compute:webPort is not read by the storage project"),
        (
            "pulumi:disable-default-provider",
            "pulumi:disable-default-provider is not read by the storage project: its stack files "
            "hold only storage:<setting> keys; did you mean pulumi:disable-default-providers?",
        ),
    ],
)
def test_keys_of_other_namespaces_are_refused(key: str, problem: str) -> None:
    settings = load_settings("development")
    keys = project_keys(topology.STORAGE, [key, "storage:abortIncompleteUploadDays"])

    with pytest.raises(ProjectConfigError) as raised:
        check_known_keys(topology.STORAGE, keys, ["abortIncompleteUploadDays"], settings)

    message = str(raised.value)
    assert message.startswith(f"stack 'development': {problem}")
    assert message.endswith("Fix it in projects/storage/Pulumi.development.yaml.")
    assert "\n" not in message


def test_pulumis_own_keys_and_the_projects_knobs_pass() -> None:
    names = [*ENGINE_KEYS, "compute:webPort"]

    assert project_keys(topology.COMPUTE, names) == ("webPort",)


@pytest.mark.parametrize("environment", known_environments())
def test_the_committed_stack_files_pass_the_knob_check(environment: str) -> None:
    check_knobs(load_settings(environment), topology.TOPOLOGY.names, PROJECTS_DIR)


def _knob_refusal(tmp_path: Path, project: str, content: str) -> str:
    """check_knobs' message for `project`'s development stack file holding `content`."""
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR / project, projects / project)
    (projects / project / "Pulumi.development.yaml").write_text(content)
    with pytest.raises(KnobError) as raised:
        check_knobs(load_settings("development"), [project], projects)
    return str(raised.value)


@pytest.mark.parametrize(
    ("content", "ends"),
    [
        # A refusal that ends in a question or a file name gets one mark, never two.
        ("config:\n  {project}:nope: 1\n", "Pulumi.development.yaml. Nothing was run."),
        ("config:\n  {project}:x: 1\n  {project}:x: 2\n", "write each key once. Nothing was run."),
    ],
)
def test_a_knob_refusal_ends_in_one_sentence_mark(tmp_path: Path, content: str, ends: str) -> None:
    project = topology.TOPOLOGY.names[0]

    message = _knob_refusal(tmp_path, project, content.format(project=project))

    assert message.endswith(ends)
    assert ".." not in message
    assert "?." not in message
    assert "\n" not in message


def test_a_misspelled_knob_keeps_its_question_mark(tmp_path: Path) -> None:
    project = topology.SECURITY
    content = (PROJECTS_DIR / project / "Pulumi.development.yaml").read_text()

    message = _knob_refusal(
        tmp_path, project, content.replace("keyDeletionWindowDays", "keyDeletionWindowDay")
    )

    assert "did you mean security:keyDeletionWindowDays? Known settings" in message
    assert message.endswith(".yaml. Nothing was run.")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("config: 5\n", "config is 5, not a mapping of settings"),
        ("config: [1\n", "not valid YAML"),
    ],
)
def test_a_malformed_stack_file_is_one_line_not_a_traceback(
    tmp_path: Path, content: str, problem: str
) -> None:
    message = _knob_refusal(tmp_path, topology.TOPOLOGY.names[0], content)

    assert problem in message
    assert "\n" not in message
    assert message.endswith("Nothing was run.")
