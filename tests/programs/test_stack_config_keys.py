"""A key a project does not read is refused, not silently ignored in favour of the default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.plan.evaluate import ProgramError, evaluate_program
from projects.compute.config import ComputeConfig
from projects.compute.config import read_config as compute_config
from shared import topology
from shared.config_reading import ProjectConfigError, check_known_keys
from shared.paths import PROJECTS_DIR
from shared.settings import load_settings


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
