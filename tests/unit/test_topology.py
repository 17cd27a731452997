"""The topology and the output contract: consistent, acyclic, and the orders derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.paths import PROJECTS_DIR
from shared.topology import (
    BUCKET_ARN,
    COMPUTE,
    KMS_KEY_ARN,
    SECURITY,
    STORAGE,
    TOPOLOGY,
    ContractError,
    ProjectSpec,
    Topology,
)
from tests.topology_roles import UNUSED


def test_deploy_order_is_security_storage_compute() -> None:
    assert TOPOLOGY.deploy_order() == (SECURITY, STORAGE, COMPUTE)
    assert TOPOLOGY.deploy_levels() == ((SECURITY,), (STORAGE,), (COMPUTE,))
    assert TOPOLOGY.names == (SECURITY, STORAGE, COMPUTE)


def test_teardown_order_is_the_reverse() -> None:
    assert TOPOLOGY.teardown_order() == (COMPUTE, STORAGE, SECURITY)
    assert TOPOLOGY.teardown_levels() == ((COMPUTE,), (STORAGE,), (SECURITY,))


def test_every_project_has_an_owning_team_and_snake_case_exports() -> None:
    # A project invoke new-project just added exports nothing yet; what it exports is snake_case.
    for name in TOPOLOGY.names:
        spec = TOPOLOGY.project(name)
        assert spec.team
        assert spec.description
        assert all(key.isidentifier() and key == key.lower() for key in spec.exports)


def test_every_required_output_is_exported_by_its_producer() -> None:
    for name in TOPOLOGY.names:
        for producer, outputs in TOPOLOGY.project(name).requires.items():
            assert set(outputs) <= set(TOPOLOGY.project(producer).exports), (name, producer)


def test_graph_is_acyclic_every_producer_deploys_first() -> None:
    order = TOPOLOGY.deploy_order()
    for name in order:
        for producer in TOPOLOGY.project(name).depends_on:
            assert order.index(producer) < order.index(name)


def test_relations() -> None:
    assert TOPOLOGY.consumers(SECURITY) == (STORAGE, COMPUTE)
    assert TOPOLOGY.consumers(COMPUTE) == ()
    assert TOPOLOGY.all_consumers(SECURITY) == (STORAGE, COMPUTE)
    assert TOPOLOGY.all_producers(COMPUTE) == (SECURITY, STORAGE)
    assert TOPOLOGY.all_producers(SECURITY) == ()
    assert TOPOLOGY.project(COMPUTE).depends_on == (SECURITY, STORAGE)


def test_selection_keeps_dependency_order() -> None:
    assert TOPOLOGY.deploy_order([COMPUTE, SECURITY]) == (SECURITY, COMPUTE)
    assert TOPOLOGY.teardown_order([SECURITY, STORAGE]) == (STORAGE, SECURITY)


def test_unknown_project_names_the_known_ones() -> None:
    with pytest.raises(ContractError, match="unknown project 'network'; known projects: security"):
        TOPOLOGY.deploy_order(["network"])
    with pytest.raises(ContractError, match="unknown project"):
        TOPOLOGY.consumers("network")


def test_reads_outside_the_contract_are_refused() -> None:
    TOPOLOGY.check_read(COMPUTE, STORAGE, BUCKET_ARN)
    with pytest.raises(ContractError, match=r"'storage' reads security.kms_key_id"):
        TOPOLOGY.check_read(STORAGE, SECURITY, "kms_key_id")
    with pytest.raises(ContractError, match="does not declare"):
        TOPOLOGY.check_read(SECURITY, STORAGE, BUCKET_ARN)


def test_independent_projects_share_a_level() -> None:
    topology = Topology(
        [
            ProjectSpec("base", "t", "d", ("id",)),
            ProjectSpec("left", "t", "d", ("x",), {"base": ("id",)}),
            ProjectSpec("right", "t", "d", ("y",), {"base": ("id",)}),
            ProjectSpec("top", "t", "d", ("z",), {"left": ("x",), "right": ("y",)}),
        ]
    )
    assert topology.deploy_levels() == (("base",), ("left", "right"), ("top",))
    assert topology.all_consumers("base") == ("left", "right", "top")


@pytest.mark.parametrize(
    ("projects", "message"),
    [
        (
            [
                ProjectSpec("a", "t", "d", ("x",), {"b": ("y",)}),
                ProjectSpec("b", "t", "d", ("y",), {"a": ("x",)}),
            ],
            "dependency cycle among projects: a, b",
        ),
        ([ProjectSpec("a", "t", "d", ("x",), {"a": ("x",)})], "must not depend on itself"),
        ([ProjectSpec("a", "t", "d", ("x",), {"ghost": ("x",)})], "unknown project 'ghost'"),
        (
            [
                ProjectSpec("a", "t", "d", ("x",)),
                ProjectSpec("b", "t", "d", (), {"a": ("x", "nope")}),
            ],
            r"requires a.nope, which 'a' does not export",
        ),
    ],
)
def test_inconsistent_topologies_are_refused(projects: list[ProjectSpec], message: str) -> None:
    with pytest.raises(ContractError, match=message):
        Topology(projects)


def test_specs_cannot_be_changed_after_validation() -> None:
    spec = TOPOLOGY.project(STORAGE)
    with pytest.raises(TypeError):
        spec.requires[SECURITY] = (KMS_KEY_ARN, "extra")  # type: ignore[index]


def test_the_shipped_project_folders_match_the_topology() -> None:
    TOPOLOGY.check_folders(PROJECTS_DIR)


def test_a_folder_the_topology_does_not_know_names_the_file_to_edit(tmp_path: Path) -> None:
    for name in (*TOPOLOGY.names, UNUSED, "__pycache__", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "notes.txt").write_text("not a project")

    with pytest.raises(ContractError) as raised:
        TOPOLOGY.check_folders(tmp_path)

    assert str(raised.value).startswith(
        f"{tmp_path.name}/{UNUSED}/ is not a project of shared/topology.py"
    )
    assert f"ProjectSpec(name={UNUSED!r}" in str(raised.value)


def test_a_topology_entry_without_its_folder_is_refused(tmp_path: Path) -> None:
    for name in TOPOLOGY.names[1:]:
        (tmp_path / name).mkdir()

    with pytest.raises(ContractError) as raised:
        TOPOLOGY.check_folders(tmp_path)

    assert f"declares project {TOPOLOGY.names[0]!r}" in str(raised.value)
    assert f"{tmp_path.name}/{TOPOLOGY.names[0]}/ does not exist" in str(raised.value)


def test_an_export_allowed_to_be_empty_must_be_exported() -> None:
    with pytest.raises(ContractError, match="lets url be empty, but does not export it"):
        ProjectSpec(
            name="queue", team="t", description="d", exports=("arn",), may_be_empty=("url",)
        )
