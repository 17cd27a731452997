"""The plan as a diff (`invoke plan --base REF`): ops, replace keys, data losses, exit codes.

The end-to-end tests commit changes in a copy of this repository (tests/pipeline/git_history)
and run `python -m orchestration.plan --base <the copy's first commit>` there, so the base is
planned by its own code in a subprocess, as a pull request's would be. The base's plan is
cached by tree hash in the copy, so only the first run plans it.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from orchestration.exit_codes import EXIT_CHANGES
from orchestration.plan.cli import run_plan
from orchestration.plan.diff import SECRET_MASK, diff_plans, to_json
from orchestration.plan.diff_report import LOSS_NOTE, summary
from shared import aws_types as t
from shared.topology import TOPOLOGY
from tests.pipeline.git_history import History, git, make_template

ENV = "development"
COMPUTE_CONFIG = "projects/compute/Pulumi.development.yaml"
APP_BUCKETS = "program/components/app_buckets.py"
# The data bucket's name (not the log bucket's sources, which come first in the file).
DATA_BUCKET_NAME = '    EncryptedBucketArgs(\n            bucket_name("data"),'
SECRET = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


@dataclass(frozen=True)
class Repo:
    history: History
    base: str

    def plan(self, commit: str, *arguments: str) -> Run:
        """`python -m orchestration.plan --env development --base <base> ...` at `commit`."""
        git(self.history.path, "checkout", "--quiet", commit)
        environment = {**os.environ, "PYTHONPATH": str(self.history.path)}
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "orchestration.plan",
                "--env",
                ENV,
                "--base",
                self.base,
                *arguments,
            ],
            cwd=self.history.path,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        return Run(result.returncode, result.stdout, result.stderr)

    def change(self, name: str, old: str, new: str) -> str:
        """A commit on top of the base changing `old` to `new` in `name`."""
        git(self.history.path, "checkout", "--quiet", self.base)
        return self.history.commit({name: self.history.edit(name, old, new)}, f"change {name}")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    template = make_template(tmp_path_factory.mktemp("template"))
    history = History(template, tmp_path_factory.mktemp("diff") / "repo")
    return Repo(history, git(history.path, "rev-parse", "HEAD"))


@pytest.fixture(scope="module")
def bigger_instance(repo: Repo) -> Run:
    """The instance type changed, as JSON on stdout, failing on changes."""
    commit = repo.change(
        COMPUTE_CONFIG, "compute:instanceType: t3.micro", "compute:instanceType: t3.small"
    )
    return repo.plan(commit, "--json", "-", "--fail-on-changes")


@pytest.fixture(scope="module")
def renamed_bucket(repo: Repo) -> Run:
    """The data bucket renamed: its name is a replace key of every bucket."""
    commit = repo.change(
        APP_BUCKETS,
        DATA_BUCKET_NAME,
        DATA_BUCKET_NAME.replace('bucket_name("data")', 'bucket_name("records")'),
    )
    return repo.plan(commit, "--json", "-")


def changes(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [change for stack in document["stacks"] for change in stack["changes"]]


def test_a_new_instance_type_is_exactly_one_update_of_that_property(
    bigger_instance: Run,
) -> None:
    found = changes(json.loads(bigger_instance.stdout))

    assert len(found) == 1, bigger_instance.stderr
    [change] = found
    assert (change["type"], change["op"], change["replace_keys"]) == (t.INSTANCE, "update", [])
    assert change["properties"] == [{"name": "instanceType", "old": "t3.micro", "new": "t3.small"}]
    assert "instanceType: 't3.micro' -> 't3.small'" in bigger_instance.stderr


def test_the_json_diff_has_the_documented_shape_on_stdout(repo: Repo, bigger_instance: Run) -> None:
    document = json.loads(bigger_instance.stdout)

    assert set(document) == {"environment", "base", "stacks"}
    assert document["environment"] == ENV
    assert document["base"] == repo.base
    assert [stack["project"] for stack in document["stacks"]] == list(TOPOLOGY.deploy_order())
    for stack in document["stacks"]:
        assert set(stack) == {"project", "changes"}
        for change in stack["changes"]:
            assert set(change) == {"name", "type", "op", "properties", "replace_keys"}
            assert change["op"] in ("create", "update", "replace", "delete")
            for prop in change["properties"]:
                assert set(prop) == {"name", "old", "new"}


def test_fail_on_changes_exits_with_its_own_code_when_something_changes(
    bigger_instance: Run,
) -> None:
    assert EXIT_CHANGES not in (0, 1, 2)
    assert bigger_instance.code == EXIT_CHANGES, bigger_instance.stderr
    assert f"exit {EXIT_CHANGES}" in bigger_instance.stderr


def test_no_change_leaves_every_stack_unchanged_and_exits_0(repo: Repo) -> None:
    run = repo.plan(repo.base, "--fail-on-changes")

    assert run.code == 0, run.stderr
    assert run.stdout.count("\n") < 8
    assert run.stdout.count("Unchanged: ") == 1
    for project in TOPOLOGY.deploy_order():
        assert f"organization/{project}/development (" in run.stdout
    assert "Changes: no changes." in run.stdout


def test_a_renamed_bucket_is_replaced_for_its_name_and_marked_as_holding_data(
    renamed_bucket: Run,
) -> None:
    buckets = [c for c in changes(json.loads(renamed_bucket.stdout)) if c["type"] == t.BUCKET]

    assert renamed_bucket.code == 0, renamed_bucket.stderr
    assert len(buckets) == 1
    [bucket] = buckets
    assert (bucket["op"], bucket["replace_keys"]) == ("replace", ["bucket"])
    [name] = [p for p in bucket["properties"] if p["name"] == "bucket"]
    assert name["old"].startswith("webapp-development-data-")
    assert name["new"].startswith("webapp-development-records-")
    assert f"+- replace aws:s3/bucket:Bucket  {bucket['name']}  [{LOSS_NOTE}]" in (
        renamed_bucket.stderr
    )
    assert "replaced because bucket changed" in renamed_bucket.stderr


def test_plan_json_dash_writes_the_plan_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()

    code = run_plan(ENV, project="security", json_path="-", out=out)

    document = json.loads(out.getvalue())
    assert code == 0
    assert document["environment"] == ENV
    assert [stack["project"] for stack in document["stacks"]] == ["security"]
    assert all(r["urn"].startswith("urn:pulumi:") for r in document["stacks"][0]["resources"])
    assert "organization/security/development" in capsys.readouterr().err
    assert not Path("-").exists()


# -- the diff itself, on small hand-made plans --------------------------------------------


def plan(*resources: dict[str, Any], project: str = "storage") -> dict[str, Any]:
    return {
        "environment": ENV,
        "stacks": [{"project": project, "stack": f"o/{project}/{ENV}", "resources": resources}],
    }


def resource(type_: str, logical: str, /, **inputs: Any) -> dict[str, Any]:
    return {"type": type_, "name": logical, "urn": f"urn:{type_}::{logical}", "inputs": inputs}


def test_secrets_are_masked_and_unchanged_resources_counted() -> None:
    base = plan(
        resource(t.IAM_ROLE, "role", name="r", password={**SECRET, "value": "old"}),
        resource(t.KMS_ALIAS, "alias", name="alias/a", targetKeyId="0000-1"),
    )
    head = plan(
        resource(t.IAM_ROLE, "role", name="r", password={**SECRET, "value": "new"}),
        resource(t.KMS_ALIAS, "alias", name="alias/a", targetKeyId="0000-1"),
    )

    diff = diff_plans(base, head, "abc")

    [stack] = diff.stacks
    assert stack.unchanged == 1
    [change] = to_json(diff)["stacks"][0]["changes"]
    assert change["properties"] == [{"name": "password", "old": SECRET_MASK, "new": SECRET_MASK}]
    text = summary(diff)
    assert "password: '[secret]' -> '[secret]'" in text
    assert "'old'" not in text
    assert "'new'" not in text


def test_nested_leaves_replace_when_flags_and_deletions() -> None:
    base = plan(
        resource(t.INSTANCE, "web", userData="a", userDataReplaceOnChange=True, tags={"A": "1"}),
        resource(t.BUCKET, "data", bucket="data-1"),
    )
    head = plan(
        resource(t.INSTANCE, "web", userData="b", userDataReplaceOnChange=True, tags={"A": "2"}),
    )

    diff = diff_plans(base, head, "abc")

    web, data = diff.stacks[0].changes
    assert (web.op, web.replace_keys) == ("replace", ("userData",))
    assert [(p.name, p.old, p.new) for p in web.properties] == [
        ("userData", "a", "b"),
        ("tags.A", "1", "2"),
    ]
    assert not web.loses_data  # an instance holds no data
    assert (data.op, data.loses_data) == ("delete", True)
    assert diff.data_losses == (data,)


def test_a_base_plan_without_urns_is_matched_by_type_and_name() -> None:
    old = resource(t.KMS_ALIAS, "alias", name="alias/a")
    del old["urn"]

    diff = diff_plans(plan(old), plan(resource(t.KMS_ALIAS, "alias", name="alias/b")), "abc")

    [change] = diff.stacks[0].changes
    assert (change.op, change.replace_keys) == ("replace", ("name",))


def test_policy_documents_by_leaf_and_scripts_by_changed_line() -> None:
    policy = '{"Statement": [{"Effect": "Allow", "Resource": "arn:aws:s3:::%s/*"}]}'
    base = plan(
        resource(t.IAM_ROLE_POLICY, "p", policy=policy % "a", userData="#!/bin/sh\nA=1\nB=2")
    )
    head = plan(
        resource(t.IAM_ROLE_POLICY, "p", policy=policy % "b", userData="#!/bin/sh\nA=1\nB=3")
    )

    [change] = diff_plans(base, head, "abc").stacks[0].changes

    assert [(p.name, p.old, p.new) for p in change.properties] == [
        ("policy.Statement.0.Resource", "arn:aws:s3:::a/*", "arn:aws:s3:::b/*"),
        ("userData@3", "B=2", "B=3"),
    ]


def test_graph_base_outlines_the_instance_whose_type_changed(repo: Repo) -> None:
    commit = repo.change(
        COMPUTE_CONFIG, "compute:instanceType: t3.micro", "compute:instanceType: t3.large"
    )
    git(repo.history.path, "checkout", "--quiet", commit)
    command = ["graph", "--env", ENV, "--view", "compute", "--base", repo.base]
    graphed = subprocess.run(
        [sys.executable, "-m", "invoke", *command],
        cwd=repo.history.path,
        env={**os.environ, "PYTHONPATH": str(repo.history.path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert graphed.returncode == 0, graphed.stderr
    marked = [line for line in graphed.stdout.splitlines() if line.endswith(" changed")]
    assert len(marked) == 1
    assert marked[0].startswith("  class Instance_")
