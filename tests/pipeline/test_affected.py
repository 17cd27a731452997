"""`invoke affected`: each rule, on small git histories built on this repository's real code."""

from __future__ import annotations

import io
import json
import traceback
from pathlib import Path

import pytest
from invoke.context import Context
from invoke.exceptions import Exit

import tasks
from orchestration.affected import Affected, AffectedError, contract, find_affected
from orchestration.affected.report import run_affected, text
from tests.pipeline.git_history import REPO_ROOT, History, git, make_template
from tests.topology_roles import ALL, LEAF, ROOT

CODE = "\n_CHANGED_BY_THE_TEST = 1\n"
COMMENT = "\n# a comment the test adds\n"


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_template(tmp_path_factory.mktemp("template"))


@pytest.fixture
def history(template: Path, tmp_path: Path) -> History:
    return History(template, tmp_path / "repo")


def change(history: History, changes: dict[str, str | None]) -> Affected:
    base = git(history.path, "rev-parse", "HEAD")
    history.commit(changes)
    return find_affected(history.path, base)


def appended(history: History, name: str, extra: str = CODE) -> dict[str, str | None]:
    return {name: history.read(name) + extra}


def per_env(affected: Affected) -> dict[str, tuple[str, ...]]:
    return dict(affected.environments)


def why(affected: Affected, project: str) -> dict[str, str]:
    return {reason.path: reason.why for reason in affected.reasons.get(project, ())}


# 1. A project's own directory.


def test_a_program_change_affects_only_its_project(history: History) -> None:
    affected = change(history, appended(history, f"projects/{LEAF}/__main__.py"))

    assert per_env(affected) == {"development": (LEAF,), "production": (LEAF,)}


def test_a_stack_file_affects_its_project_in_that_environment_only(history: History) -> None:
    name = "projects/storage/Pulumi.production.yaml"
    edited = history.edit(name, "accessLogRetentionDays: 365", "accessLogRetentionDays: 400")

    affected = change(history, {name: edited})

    assert per_env(affected) == {"development": (), "production": ("storage",)}
    assert why(affected, "storage") == {name: "its production stack configuration"}


def test_comments_and_formatting_affect_nothing(history: History) -> None:
    affected = change(
        history,
        {
            **appended(history, "projects/security/Pulumi.development.yaml", COMMENT),
            **appended(history, "program/components/network.py", COMMENT),
            **appended(history, "shared/environments/production.yaml", COMMENT),
        },
    )

    assert affected.projects == ()
    assert {reason.path: reason.why for reason in affected.unaffecting} == {
        "projects/security/Pulumi.development.yaml": "comments or formatting only",
        "program/components/network.py": "comments or formatting only",
        "shared/environments/production.yaml": "no environment's settings changed",
    }


# 2. Modules the programs import, directly or transitively.


@pytest.mark.parametrize(
    ("module", "projects"),
    [
        ("program/components/network.py", ("compute",)),
        ("program/components/encrypted_bucket.py", ("storage",)),
        ("program/components/kms_key.py", ("security",)),
        # Imported by the compute program through web_service -> web_servers -> user_data.
        ("program/webapp/app.py", ("compute",)),
        ("program/webapp/user_data.py", ("compute",)),
        ("shared/naming.py", ALL),
        ("program/provider.py", ALL),
    ],
)
def test_a_module_affects_the_projects_whose_programs_import_it(
    history: History, module: str, projects: tuple[str, ...]
) -> None:
    affected = change(history, appended(history, module))

    assert per_env(affected) == {"development": projects, "production": projects}
    # shared/ and program/provider.py are read by the policy pack too, which says "every project".
    assert all(why(affected, project)[module].startswith("read by") for project in projects)


def test_projects_come_in_deploy_order_whatever_the_change_order(history: History) -> None:
    affected = change(
        history,
        {
            **appended(history, "program/components/network.py"),
            **appended(history, "program/components/kms_key.py"),
        },
    )

    assert affected.projects == ("security", "compute")


def test_a_new_import_in_the_change_itself_is_followed(history: History) -> None:
    # The new module exists at the base already, read by nobody; the change imports it from
    # the key component and edits it. Only the graph at the head knows the key reads it now.
    helper = "program/components/key_policy_extras.py"
    history.commit({helper: '"""Extra statements."""\n\nEXTRA = ()\n'})
    kms = "program/components/kms_key.py"
    imported = history.edit(
        kms,
        "from __future__ import annotations\n",
        "from __future__ import annotations\n\n"
        "from program.components.key_policy_extras import EXTRA  # noqa: F401\n",
    )

    affected = change(history, {kms: imported, helper: '"""Extra."""\n\nEXTRA = ("x",)\n'})

    assert affected.projects == ("security",)
    assert why(affected, "security")[helper] == "read by its program"


def test_a_module_the_change_deletes_counts_for_who_read_it_before(history: History) -> None:
    helper = "program/components/bucket_extras.py"
    bucket = "program/components/encrypted_bucket.py"
    history.commit(
        {
            helper: "SUFFIX = 'x'\n",
            bucket: history.edit(
                bucket,
                "from __future__ import annotations\n",
                "from __future__ import annotations\n\n"
                "from program.components import bucket_extras  # noqa: F401\n",
            ),
        }
    )
    original = (REPO_ROOT / bucket).read_text(encoding="utf-8")

    affected = change(history, {helper: None, bucket: original})

    assert affected.projects == ("storage",)
    assert why(affected, "storage")[helper] == "read by its program"


def test_a_module_no_program_reads_affects_nothing(history: History) -> None:
    affected = change(history, {"program/components/unused_idea.py": "IDEA = 1\n"})

    assert affected.projects == ()
    assert affected.unaffecting[0].why == "not read by any program or the policy pack"


# 3. Environment files and the common config.


def test_an_environment_file_affects_every_project_in_that_environment(history: History) -> None:
    name = "shared/environments/production.yaml"
    edited = history.edit(name, "log_level: warning", "log_level: error")

    affected = change(history, {name: edited})

    assert per_env(affected) == {"development": (), "production": ALL}
    assert why(affected, LEAF) == {name: "changes the production settings (log_level)"}


def test_a_new_environment_file_affects_every_project_there(history: History) -> None:
    staging = history.read("shared/environments/development.yaml")

    affected = change(history, {"shared/environments/staging.yaml": staging})

    assert per_env(affected) == {"development": (), "production": (), "staging": ALL}


def test_the_common_config_affects_the_environments_whose_settings_change(
    history: History,
) -> None:
    name = "shared/config/common.yaml"
    affected = change(history, appended(history, name, "owner: web-team@example.com\n"))

    assert per_env(affected) == {"development": ALL, "production": ALL}


def test_a_common_value_every_environment_overrides_affects_nothing(history: History) -> None:
    # Both environment files set `team`, so a default in the common file changes nobody's.
    affected = change(history, appended(history, "shared/config/common.yaml", "team: nobody\n"))

    assert affected.projects == ()


# 4. The policy rules gate every deploy.


@pytest.mark.parametrize(
    "name", ["program/policy/s3.py", "program/policy/registry.py", "policy-pack/PulumiPolicy.yaml"]
)
def test_the_policy_rules_affect_every_project(history: History, name: str) -> None:
    extra = CODE if name.endswith(".py") else "\n# reviewed\nruntime: python\n"
    affected = change(history, appended(history, name, extra))

    assert per_env(affected) == {"development": ALL, "production": ALL}


# 5. What a producer exports: the topology contract.


def test_a_new_export_affects_the_producer_and_its_consumers(history: History) -> None:
    name = "shared/topology.py"
    edited = history.edit(
        name,
        "exports=(BUCKET_NAME, BUCKET_ARN, LOG_BUCKET_NAME),",
        'exports=(BUCKET_NAME, BUCKET_ARN, LOG_BUCKET_NAME, "bucket_region"),',
    )

    affected = change(history, {name: edited})

    assert affected.projects == ("storage", "compute")
    assert why(affected, "storage") == {
        name: "its topology contract entry changed (exports +bucket_region)"
    }
    assert why(affected, "compute") == {
        name: "reads storage, whose exports changed (+bucket_region)"
    }


def test_a_changed_read_affects_only_the_consumer(history: History) -> None:
    name = "shared/topology.py"
    edited = history.edit(
        name,
        "SECURITY: (KMS_KEY_ARN,),\n                STORAGE:",
        "SECURITY: (KMS_KEY_ARN, KMS_KEY_ID),\n                STORAGE:",
    )

    affected = change(history, {name: edited})

    assert affected.projects == ("compute",)


def test_a_change_to_the_topology_code_affects_every_importer(history: History) -> None:
    affected = change(history, appended(history, "shared/topology.py"))

    assert affected.projects == ALL


def test_the_topology_at_a_commit_runs_under_a_name_that_is_no_file() -> None:
    # Coverage traces no code whose file name starts with "<", so it never tries to read
    # "shared/topology.py at <sha>" back from the disk (and warn that it cannot).
    where = "shared/topology.py at 0123456789ab"

    with pytest.raises(AffectedError, match=f"^{where} cannot be loaded: broken") as raised:
        contract.load_topology("raise ValueError('broken')\n", where)

    cause = raised.value.__cause__
    assert cause is not None
    assert traceback.extract_tb(cause.__traceback__)[-1].filename == f"<{where}>"


# 6. Runtime dependencies.


def test_a_new_provider_version_affects_every_project(history: History) -> None:
    edited = history.edit(
        "uv.lock",
        'name = "pulumi-aws"\nversion = "7.51.1"',
        'name = "pulumi-aws"\nversion = "7.52.0"',
    )

    affected = change(history, {"uv.lock": edited})

    assert affected.projects == ALL
    assert why(affected, ROOT) == {
        "uv.lock": "runtime dependencies changed: pulumi-aws 7.51.1 -> 7.52.0"
    }


def test_a_new_development_tool_version_affects_nothing(history: History) -> None:
    edited = history.edit(
        "uv.lock", 'name = "pytest"\nversion = "9.2.0"', 'name = "pytest"\nversion = "9.3.0"'
    )

    affected = change(history, {"uv.lock": edited})

    assert affected.projects == ()


# 7. Documentation, tests, CI.


def test_documentation_tests_and_ci_affect_nothing(history: History) -> None:
    affected = change(
        history,
        {
            **appended(history, "README.md", "\nMore words.\n"),
            **appended(history, "tests/unit/test_naming.py"),
            **appended(history, "orchestration/state/backend.py"),
            ".github/workflows/extra.yml": "name: extra\n",
            f"projects/{LEAF}/NOTES.md": "Notes.\n",
        },
    )

    assert affected.projects == ()
    assert len(affected.unaffecting) == 5
    assert text(affected).startswith("No project is affected by the 5 changed files in ")


# The range, the output, the errors.


def test_a_branch_is_compared_from_where_it_left_the_base(history: History) -> None:
    git(history.path, "checkout", "--quiet", "-b", "feature")
    history.commit(appended(history, "program/components/network.py"))
    git(history.path, "checkout", "--quiet", "main")
    history.commit(appended(history, "program/components/kms_key.py"))  # main moved on

    affected = find_affected(history.path, "main", "feature")

    assert affected.projects == ("compute",)


def test_json_and_text_output(history: History) -> None:
    base = git(history.path, "rev-parse", "HEAD")
    name = "projects/storage/Pulumi.production.yaml"
    history.commit({name: history.edit(name, "365", "366")})
    out = io.StringIO()

    run_affected(base, "HEAD", json_path="-", repo_root=history.path, out=out)
    document = json.loads(out.getvalue())
    plain = io.StringIO()
    run_affected(base, repo_root=history.path, out=plain)

    assert document["projects"] == ["storage"]
    assert document["environments"] == {"development": [], "production": ["storage"]}
    assert document["reasons"]["storage"] == [
        {"path": name, "why": "its production stack configuration", "environments": ["production"]}
    ]
    assert "  development: nothing\n  production:  storage\n" in plain.getvalue()


@pytest.mark.parametrize(
    ("base", "head", "flag"),
    [
        ("no-such-branch", "HEAD", "--base"),
        ("HEAD", "0123abc", "--head"),
        ("--all", "HEAD", "--base"),
    ],
)
def test_a_bad_revision_is_one_clear_message(
    history: History, base: str, head: str, flag: str
) -> None:
    with pytest.raises(AffectedError, match=rf"^{flag} '.*' is not a"):
        find_affected(history.path, base, head)


def test_outside_a_repository_is_one_clear_message(tmp_path: Path) -> None:
    with pytest.raises(AffectedError, match="is not inside a git repository"):
        find_affected(tmp_path, "HEAD")


def test_git_missing_from_path_is_named_as_such(
    history: History, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A PATH without git (the repository itself is fine).
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(AffectedError) as raised:
        find_affected(history.path, "HEAD")

    assert str(raised.value) == "git is not installed (or not on PATH): install git"


def test_the_task_turns_a_bad_revision_into_exit_1() -> None:
    with pytest.raises(Exit) as caught:
        tasks.affected(Context(), base="no-such-branch-anywhere")

    assert caught.value.code == 1
    assert "--base 'no-such-branch-anywhere' is not a commit" in str(caught.value.message)


def test_the_task_prints_json(capsys: pytest.CaptureFixture[str]) -> None:
    tasks.affected(Context(), base="HEAD", head="HEAD", json_="-")

    document = json.loads(capsys.readouterr().out)
    assert document["changed"] == []
    assert document["projects"] == []


def test_all_lists_every_project_of_every_environment(history: History) -> None:
    history.commit(
        {"shared/environments/staging.yaml": history.read("shared/environments/development.yaml")}
    )
    out = io.StringIO()

    run_affected(None, everything=True, json_path="-", repo_root=history.path, out=out)

    document = json.loads(out.getvalue())
    assert document["all"] is True
    assert document["environments"] == {
        env: list(ALL) for env in ("development", "production", "staging")
    }


@pytest.mark.parametrize(("base", "everything"), [(None, False), ("HEAD", True)])
def test_either_base_or_all(history: History, base: str | None, everything: bool) -> None:
    with pytest.raises(
        AffectedError, match=r"give either --base REF \(what a change touches\) or --all"
    ):
        run_affected(base, everything=everything, repo_root=history.path, out=io.StringIO())


def test_json_to_a_file_keeps_the_text(history: History, tmp_path: Path) -> None:
    out = io.StringIO()
    target = tmp_path / "affected.json"

    run_affected(None, everything=True, json_path=str(target), repo_root=history.path, out=out)

    assert json.loads(target.read_text(encoding="utf-8"))["all"] is True
    assert "(--all), in deploy order:" in out.getvalue()
    assert f"JSON written to {target}" in out.getvalue()


def test_an_unwritable_json_target_is_refused_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(AffectedError, match="does not exist"):
        # No repository there: the refusal comes before git is asked anything.
        run_affected(
            None, everything=True, json_path=str(tmp_path / "no" / "a.json"), repo_root=tmp_path
        )
