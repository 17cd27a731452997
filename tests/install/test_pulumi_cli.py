"""Installing the Pulumi CLI: everything that can be checked without building or downloading it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import language_pb2

from orchestration.engine import pulumi_install as pulumi_cli
from orchestration.engine.pulumi_install import PINNED_VERSION, PulumiCliUnavailable
from tooling.offline_toolchain import go_build, language_host, program_exec, shims

# `go mod edit -json` of a pkg-like go.mod: one local replace (into the upstream checkout),
# one plain module replace, one replace of a single version.
FAKE_GO_MOD_JSON = {
    "Module": {"Path": "github.com/pulumi/pulumi/pkg/v3"},
    "Go": "1.26.6",
    "Require": [{"Path": "golang.org/x/text", "Version": "v0.41.0"}],
    "Replace": [
        {"Old": {"Path": "github.com/pulumi/pulumi/sdk/v3"}, "New": {"Path": "../sdk"}},
        {
            "Old": {"Path": "github.com/atotto/clipboard"},
            "New": {
                "Path": "github.com/tgummerer/clipboard",
                "Version": "v0.0.0-20241001131231-d02d263e614e",
            },
        },
        {
            "Old": {"Path": "example.com/pinned", "Version": "v1.2.3"},
            "New": {"Path": "example.com/fork", "Version": "v1.2.4"},
        },
    ],
}


def make_executable(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def fake_pulumi(directory: Path, version: str = PINNED_VERSION) -> Path:
    """Test double for the CLI: a script that only answers `pulumi version`."""
    directory.mkdir(parents=True, exist_ok=True)
    return make_executable(
        directory / "pulumi", f'[ "$1" = version ] && echo "v{version}" && exit 0\nexit 2'
    )


@pytest.fixture
def no_download(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace the release download by a quick failure: unit tests never touch the network."""
    calls: list[str] = []

    def failing_download(
        target: Path, version: str, progress: pulumi_cli.Progress, failures: list[str]
    ) -> bool:
        calls.append(version)
        failures.append("download: no network (test double)")
        return False

    monkeypatch.setattr(pulumi_cli, "_download", failing_download)
    return calls


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH with neither go nor pulumi on it."""
    directory = tmp_path / "empty-path"
    directory.mkdir()
    monkeypatch.setenv("PATH", str(directory))
    return directory


# --- go.mod generation ------------------------------------------------------------------------


def test_replaces_are_read_from_go_mod_json() -> None:
    replaces = go_build.replaces_from_go_mod_json(FAKE_GO_MOD_JSON)

    assert [r.old_path for r in replaces] == [
        "github.com/pulumi/pulumi/sdk/v3",
        "github.com/atotto/clipboard",
        "example.com/pinned",
    ]
    assert replaces[0].is_local
    assert not replaces[1].is_local
    assert replaces[2].old_version == "v1.2.3"


def test_local_replaces_are_not_repeated() -> None:
    replaces = go_build.repeatable_replaces(go_build.replaces_from_go_mod_json(FAKE_GO_MOD_JSON))

    assert "../sdk" not in {r.new_path for r in replaces}
    assert len(replaces) == 2


def test_go_mod_requires_pkg_and_sdk_and_repeats_replaces() -> None:
    replaces = go_build.repeatable_replaces(go_build.replaces_from_go_mod_json(FAKE_GO_MOD_JSON))

    text = go_build.render_go_mod("3.260.0", "1.26.6", replaces)

    assert text.splitlines()[0].startswith("module ")
    assert "go 1.26.6" in text
    assert "\tgithub.com/pulumi/pulumi/pkg/v3 v3.260.0" in text
    assert "\tgithub.com/pulumi/pulumi/sdk/v3 v3.260.0" in text
    assert (
        "replace github.com/atotto/clipboard => "
        "github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e"
    ) in text
    assert "replace example.com/pinned v1.2.3 => example.com/fork v1.2.4" in text
    assert "../sdk" not in text


def test_go_mod_without_go_directive_or_replaces() -> None:
    text = go_build.render_go_mod("1.0.0", None, [])

    assert "\ngo " not in text
    assert "replace" not in text
    assert text.endswith(")\n")


def test_go_mod_download_json_stream_is_split_into_documents() -> None:
    stream = (
        '{\n\t"Path": "a",\n\t"GoMod": "/a.mod"\n}\n{\n\t"Path": "b",\n\t"GoMod": "/b.mod"\n}\n'
    )

    assert [d["Path"] for d in go_build._json_stream(stream)] == ["a", "b"]


def test_version_is_linked_into_the_sdk_version_variable() -> None:
    flags = go_build.ldflags("3.260.0")

    assert "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.260.0" in flags


# --- version detection ------------------------------------------------------------------------


def test_cli_version_reads_pulumi_version_output(tmp_path: Path) -> None:
    assert pulumi_cli.cli_version(fake_pulumi(tmp_path, "3.1.2")) == "3.1.2"


def test_cli_version_of_a_failing_or_missing_cli_is_none(tmp_path: Path) -> None:
    failing = make_executable(tmp_path / "pulumi", "echo v3.260.0; exit 1")

    assert pulumi_cli.cli_version(failing) is None
    assert pulumi_cli.cli_version(tmp_path / "absent") is None


def test_cli_version_ignores_unparseable_output(tmp_path: Path) -> None:
    chatty = make_executable(tmp_path / "pulumi", "echo 'something else'")

    assert pulumi_cli.cli_version(chatty) is None


def counting_pulumi(directory: Path, version: str = PINNED_VERSION) -> tuple[Path, Path]:
    """Test double for the CLI: answers `pulumi version` and counts how often it was asked."""
    directory.mkdir(parents=True, exist_ok=True)
    log = directory.parent / "asked"
    pulumi = make_executable(directory / "pulumi", f'echo asked >> "{log}"\necho "v{version}"')
    return pulumi, log


def asked(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_the_version_is_asked_once_per_install(tmp_path: Path) -> None:
    pulumi, log = counting_pulumi(tmp_path / "bin")

    assert pulumi_cli.verified_version(pulumi) == PINNED_VERSION
    assert pulumi_cli.verified_version(pulumi) == PINNED_VERSION
    assert asked(log) == 1

    # Another binary in its place (an upgrade, a rebuild) is asked again.
    make_executable(pulumi, f'echo asked >> "{log}"\necho "v3.1.0"  # another build')
    assert pulumi_cli.verified_version(pulumi) == "3.1.0"
    assert asked(log) == 2


def test_a_failing_cli_is_not_stamped(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    failing = make_executable(tmp_path / "bin" / "pulumi", "exit 3")

    assert pulumi_cli.verified_version(failing) is None
    assert not (tmp_path / "bin" / pulumi_cli.VERSION_STAMP).exists()
    assert pulumi_cli.verified_version(tmp_path / "absent" / "pulumi") is None


# --- ensure_pulumi_cli ------------------------------------------------------------------------


def test_already_installed_cli_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_path: Path
) -> None:
    tools = tmp_path / "tools"
    installed = fake_pulumi(pulumi_cli.bin_dir(tools))

    def must_not_install(*args: object) -> None:
        raise AssertionError("an installed CLI of the right version must be reused")

    monkeypatch.setattr(pulumi_cli, "_install", must_not_install)
    messages: list[str] = []

    result = pulumi_cli.ensure_pulumi_cli(tools, messages.append)

    assert result == tools / "pulumi" / PINNED_VERSION / "bin"
    assert installed.read_text().startswith("#!/bin/sh")
    assert any("already installed" in message for message in messages)
    for name in shims.SHIM_NAMES:
        assert os.access(result / name, os.X_OK)


def test_ensure_twice_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_path: Path
) -> None:
    tools = tmp_path / "tools"
    fake_pulumi(pulumi_cli.bin_dir(tools))
    monkeypatch.setattr(pulumi_cli, "_install", lambda *args: pytest.fail("no install"))

    first = pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    second = pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)

    assert first == second
    assert {p.name: p.read_bytes() for p in second.iterdir()} == before


def test_every_task_after_the_first_reuses_the_checked_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_path: Path
) -> None:
    tools = tmp_path / "tools"
    _, log = counting_pulumi(pulumi_cli.bin_dir(tools))
    monkeypatch.setattr(pulumi_cli, "_install", lambda *args: pytest.fail("no install"))

    for _ in range(3):
        pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)

    assert asked(log) == 1


def test_pulumi_on_path_with_the_pinned_version_is_linked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_download: list[str]
) -> None:
    ambient = fake_pulumi(tmp_path / "ambient")
    real_host = make_executable(ambient.parent / shims.LANGUAGE_HOST, "exit 0")
    monkeypatch.setenv("PATH", str(ambient.parent))
    tools = tmp_path / "tools"

    result = pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)

    assert (result / "pulumi").resolve() == ambient.resolve()
    # A real language host next to the ambient CLI beats our shim ...
    assert (result / shims.LANGUAGE_HOST).resolve() == real_host.resolve()
    # ... and the missing plugins get shims.
    assert shims.is_generated(result / shims.DYNAMIC_PROVIDER)
    assert no_download == []


def test_pulumi_on_path_with_another_version_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_download: list[str]
) -> None:
    ambient = fake_pulumi(tmp_path / "ambient", version="3.1.0")
    monkeypatch.setenv("PATH", str(ambient.parent))
    messages: list[str] = []

    with pytest.raises(PulumiCliUnavailable):
        pulumi_cli.ensure_pulumi_cli(tmp_path / "tools", messages.append)

    assert any("Ignoring" in message and "3.1.0" in message for message in messages)
    assert no_download == [PINNED_VERSION]


def test_without_download_and_go_the_error_says_how_to_install(
    tmp_path: Path, no_download: list[str], empty_path: Path
) -> None:
    tools = tmp_path / "tools"

    with pytest.raises(PulumiCliUnavailable) as raised:
        pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)

    message = str(raised.value)
    assert "\n" not in message
    assert f"v{PINNED_VERSION}" in message
    assert "go: not found on PATH" in message
    assert "download: no network" in message
    assert str(pulumi_cli.bin_dir(tools) / "pulumi") in message
    assert "by hand" in message


def test_a_failing_go_build_is_reported_in_one_line(
    tmp_path: Path, no_download: list[str], empty_path: Path
) -> None:
    # Test double for go: every command fails with a multi-line message.
    make_executable(empty_path / "go", 'echo "go: broken toolchain" >&2; echo "detail" >&2; exit 1')
    messages: list[str] = []

    with pytest.raises(PulumiCliUnavailable) as raised:
        pulumi_cli.ensure_pulumi_cli(tmp_path / "tools", messages.append)

    assert "go build: `" in str(raised.value)
    assert "\n" not in str(raised.value)
    assert any("Building Pulumi CLI" in message for message in messages)


def test_an_installed_package_without_the_offline_toolchain_builds_nothing(
    tmp_path: Path,
    no_download: list[str],
    empty_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As in a wheel install: the repository's tooling package is not importable.
    monkeypatch.setattr(pulumi_cli, "OFFLINE_TOOLCHAIN_MODULE", "tooling.not_shipped")
    make_executable(empty_path / "go", "echo go must not run >&2; exit 1")
    messages: list[str] = []

    with pytest.raises(PulumiCliUnavailable) as raised:
        pulumi_cli.ensure_pulumi_cli(tmp_path / "tools", messages.append)

    assert pulumi_cli.offline_toolchain() is None
    assert "go build" not in str(raised.value)
    assert "download: no network" in str(raised.value)
    assert not any("Building Pulumi CLI" in message for message in messages)
    assert not (pulumi_cli.bin_dir(tmp_path / "tools") / shims.LANGUAGE_HOST).exists()


def test_a_wrong_version_in_the_tools_dir_is_replaced(
    tmp_path: Path, no_download: list[str], empty_path: Path
) -> None:
    tools = tmp_path / "tools"
    stale = fake_pulumi(pulumi_cli.bin_dir(tools), version="3.0.0")

    with pytest.raises(PulumiCliUnavailable):
        pulumi_cli.ensure_pulumi_cli(tools, lambda _: None)

    assert not stale.exists()


# --- shims ------------------------------------------------------------------------------------


def echo_python(directory: Path) -> Path:
    """Test double for an interpreter: prints the arguments it was given, one per line."""
    directory.mkdir(parents=True, exist_ok=True)
    return make_executable(directory / "python", 'for a in "$@"; do echo "$a"; done')


def run_shim(path: Path, *args: str, env: dict[str, str] | None = None, cwd: Path) -> list[str]:
    result = subprocess.run(
        [str(path), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    return result.stdout.splitlines()


def test_shims_do_not_overwrite_real_plugins(tmp_path: Path) -> None:
    real = make_executable(tmp_path / shims.LANGUAGE_HOST, "echo real")

    shims.write_shims(tmp_path, Path(sys.executable))

    assert real.read_text().endswith("echo real\n")
    assert shims.is_generated(tmp_path / shims.POLICY_ANALYZER)


def test_shims_replace_a_dangling_link_to_a_removed_install(tmp_path: Path) -> None:
    (tmp_path / shims.LANGUAGE_HOST).symlink_to(tmp_path / "gone" / shims.LANGUAGE_HOST)

    shims.write_shims(tmp_path, Path(sys.executable))

    assert shims.is_generated(tmp_path / shims.LANGUAGE_HOST)


def test_shims_of_an_earlier_layout_are_rewritten(tmp_path: Path) -> None:
    # Written before the code moved: it runs a language host path that no longer exists.
    old = make_executable(
        tmp_path / shims.LANGUAGE_HOST,
        f"{shims.LEGACY_MARKERS[0]}\nexec python -u /repo/infra/orchestration/language_host.py",
    )

    shims.write_shims(tmp_path, Path(sys.executable))

    assert old.read_text() == shims.language_host_script(Path(sys.executable))


def test_language_host_shim_runs_the_host_with_the_baked_interpreter(tmp_path: Path) -> None:
    python = echo_python(tmp_path / "venv" / "bin")
    shims.write_shims(tmp_path / "bin", python)

    argv = run_shim(tmp_path / "bin" / shims.LANGUAGE_HOST, "-v=9", "127.0.0.1:1", cwd=tmp_path)

    assert argv[0] == "-u"
    assert argv[1].endswith("language_host.py")
    assert argv[2:] == ["-v=9", "127.0.0.1:1"]


def test_policy_analyzer_shim_picks_positionals_and_virtualenv(tmp_path: Path) -> None:
    baked = echo_python(tmp_path / "baked" / "bin")
    project_venv = echo_python(tmp_path / "project-venv" / "bin")
    shims.write_shims(tmp_path / "bin", baked)
    shim = tmp_path / "bin" / shims.POLICY_ANALYZER

    plain = run_shim(shim, "--logtostderr", "-v=9", "--tracing", "x", "E:1", ".", cwd=tmp_path)
    with_venv = run_shim(shim, "E:1", ".", "-virtualenv=project-venv", cwd=tmp_path)

    assert plain == ["-u", "-m", "pulumi.policy", "E:1", "."]
    assert with_venv == ["-u", "-m", "pulumi.policy", "E:1", "."]
    assert project_venv.exists()


def test_dynamic_provider_shim_honours_the_runtime_virtualenv(tmp_path: Path) -> None:
    echo_python(tmp_path / "baked" / "bin")
    venv_python = tmp_path / "project-venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    make_executable(venv_python, 'echo venv "$@"')
    shims.write_shims(tmp_path / "bin", tmp_path / "baked" / "bin" / "python")
    shim = tmp_path / "bin" / shims.DYNAMIC_PROVIDER

    default = run_shim(shim, "E:1", cwd=tmp_path)
    in_venv = run_shim(shim, "E:1", env={"PULUMI_RUNTIME_VIRTUALENV": "project-venv"}, cwd=tmp_path)

    assert default == ["-u", "-m", "pulumi.dynamic", "E:1"]
    assert in_venv == ["venv -u -m pulumi.dynamic E:1"]


# --- language host pieces ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "engine", "tracing"),
    [
        (["127.0.0.1:5000"], "127.0.0.1:5000", ""),
        (["--logtostderr", "-v=9", "--tracing", "t:1", "127.0.0.1:5000"], "127.0.0.1:5000", "t:1"),
        (
            ["-root=/x", "-virtualenv", "venv", "-future-flag", "127.0.0.1:5000"],
            "127.0.0.1:5000",
            "",
        ),
        ([], "", ""),
    ],
)
def test_language_host_arguments(argv: list[str], engine: str, tracing: str) -> None:
    parsed = language_host.parse_args(argv)

    assert (parsed.engine_address, parsed.tracing) == (engine, tracing)


def test_run_arguments_follow_the_go_host() -> None:
    request = language_pb2.RunRequest(
        project="app",
        stack="dev",
        pwd="/p",
        dryRun=True,
        parallel=8,
        monitor_address="m:1",
        organization="org",
        info=language_pb2.ProgramInfo(root_directory="/p", program_directory="/p", entry_point="."),
        args=["extra"],
    )

    args = language_host.exec_arguments(request, "e:1", "")

    assert args == [
        "--monitor", "m:1", "--engine", "e:1", "--project", "app", "--root_directory", "/p",
        "--stack", "dev", "--pwd", "/p", "--dry_run", "true", "--parallel", "8",
        "--organization", "org", ".", "extra",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "error", "bail"),
    [
        (0, "", False),
        (32, "", True),
        (3, "program exited with non-zero exit code: 3", False),
        (-9, "program exited unexpectedly: signal 9", False),
    ],
)
def test_exit_codes_map_to_run_responses(code: int, error: str, bail: bool) -> None:
    response = language_host.run_response_for_exit(code)

    assert (response.error, response.bail) == (error, bail)


def test_virtualenv_option_is_relative_to_the_project(tmp_path: Path) -> None:
    echo_python(tmp_path / "venv" / "bin")
    options = struct_pb2.Struct()
    options.update({"virtualenv": "../venv"})
    info = language_pb2.ProgramInfo(root_directory=str(tmp_path / "project"), options=options)

    python, env = language_host.resolve_interpreter(info)

    assert python == str(tmp_path / "venv" / "bin" / "python")
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")


def test_missing_virtualenv_is_a_clear_error(tmp_path: Path) -> None:
    options = struct_pb2.Struct()
    options.update({"virtualenv": "nope"})
    info = language_pb2.ProgramInfo(root_directory=str(tmp_path), options=options)

    with pytest.raises(language_host.InvalidVirtualenv, match="nope"):
        language_host.resolve_interpreter(info)


def test_without_virtualenv_the_host_interpreter_runs_the_program() -> None:
    assert language_host.resolve_interpreter(None) == (sys.executable, {})


def test_plugin_entry_prefers_main_py(tmp_path: Path) -> None:
    (tmp_path / "__main__.py").write_text("")

    assert language_host.plugin_entry(tmp_path) == [str(tmp_path)]


def test_plugin_entry_of_a_package_uses_pulumi_run_plugin(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "my-provider"\n')

    assert language_host.plugin_entry(tmp_path) == ["-m", "pulumi.run.plugin", "my-provider"]


def test_program_exec_parses_the_hosts_arguments() -> None:
    parsed = program_exec.parse_args(["--monitor", "m:1", "--dry_run", "true", ".", "a", "--b"])

    assert (parsed.monitor, parsed.dry_run, parsed.PROGRAM) == ("m:1", "true", ".")
    assert parsed.ARGS == ["a", "--b"]


def test_a_run_with_the_cli_installed_prints_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, empty_path: Path
) -> None:
    tools = tmp_path / "tools"
    fake_pulumi(pulumi_cli.bin_dir(tools))
    monkeypatch.setattr(pulumi_cli, "_install", lambda *args: pytest.fail("no install"))
    messages: list[str] = []

    pulumi_cli.ensure_pulumi_cli(tools, messages.append)

    (line,) = messages
    assert line.startswith(f"Pulumi CLI v{PINNED_VERSION} already installed: ")
    assert "Python plugins pulumi-" in line
