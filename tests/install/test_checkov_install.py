"""Checkov's own environment: pinned, installed once, remade when the pins change."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from orchestration.scan import checkov_install as installer

# A stand-in for uv (a test double: a shell script): `uv venv ... DIR` makes DIR/bin/python,
# `uv pip install ... --python DIR/bin/python ...` makes DIR/bin/checkov; every call is logged.
FAKE_UV = """#!/bin/sh
echo "$@" >> "{log}"
if [ "{fail}" = yes ]; then echo "error: no matching distribution for checkov" >&2; exit 2; fi
if [ "$1" = venv ]; then
    for last in "$@"; do :; done
    mkdir -p "$last/bin" && touch "$last/bin/python"
elif [ "$1" = pip ]; then
    python=$(echo "$@" | sed 's/.*--python \\([^ ]*\\).*/\\1/')
    printf '#!/bin/sh\\necho fake checkov\\n' > "$(dirname "$python")/checkov"
fi
"""


def fake_uv(tmp_path: Path, *, fail: bool = False) -> tuple[str, Path]:
    log = tmp_path / "uv-calls.log"
    uv = tmp_path / "uv"
    uv.write_text(FAKE_UV.format(log=log, fail="yes" if fail else "no"))
    uv.chmod(0o755)
    return str(uv), log


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("checkov==3.3.30 \\\n    --hash=sha256:00\n")
    return path


def test_installs_once_then_reuses(tmp_path: Path, requirements: Path) -> None:
    uv, log = fake_uv(tmp_path)
    tools = tmp_path / "tools"
    lines: list[str] = []

    first = installer.ensure_checkov(tools, lines.append, requirements=requirements, uv=uv)
    second = installer.ensure_checkov(tools, lines.append, requirements=requirements, uv=uv)

    assert first == second == tools / "checkov" / installer.CHECKOV_VERSION / "bin" / "checkov"
    calls = log.read_text().splitlines()
    assert [call.split()[:2] for call in calls] == [["venv", "--quiet"], ["pip", "install"]]
    assert f"--require-hashes --requirement {requirements}" in calls[1]
    assert lines[0].startswith(f"Installing Checkov {installer.CHECKOV_VERSION} into {tools}")
    assert re.fullmatch(r"Checkov \S+ installed in \d+\.\d s", lines[1])
    assert len(lines) == 2


def test_new_pins_or_a_half_made_environment_mean_a_fresh_install(
    tmp_path: Path, requirements: Path
) -> None:
    uv, log = fake_uv(tmp_path)
    tools = tmp_path / "tools"
    installer.ensure_checkov(tools, lambda line: None, requirements=requirements, uv=uv)

    requirements.write_text(requirements.read_text() + "boto3==1.35.49\n")
    installer.ensure_checkov(tools, lambda line: None, requirements=requirements, uv=uv)
    (installer.checkov_home(tools) / ".requirements-sha256").unlink()
    installer.ensure_checkov(tools, lambda line: None, requirements=requirements, uv=uv)

    assert sum(call.startswith("venv") for call in log.read_text().splitlines()) == 3


def test_a_failed_install_says_why_and_is_not_used_later(
    tmp_path: Path, requirements: Path
) -> None:
    uv, _ = fake_uv(tmp_path, fail=True)
    tools = tmp_path / "tools"

    with pytest.raises(installer.CheckovUnavailable, match="no matching distribution"):
        installer.ensure_checkov(tools, lambda line: None, requirements=requirements, uv=uv)
    assert not (installer.checkov_home(tools) / ".requirements-sha256").exists()


def test_without_uv_the_message_says_how_to_get_it(
    tmp_path: Path, requirements: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))

    with pytest.raises(installer.CheckovUnavailable, match=r"uv was not found.*pip install uv"):
        installer.ensure_checkov(tmp_path / "tools", lambda line: None, requirements=requirements)


def test_the_uv_running_the_task_is_preferred(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uv, _ = fake_uv(tmp_path)
    monkeypatch.setenv("UV", uv)
    assert installer.find_uv() == uv
    monkeypatch.setenv("UV", str(tmp_path / "gone"))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert installer.find_uv() == uv


def test_the_shipped_requirements_pin_this_checkov_and_every_package_by_hash() -> None:
    text = installer.REQUIREMENTS.read_text()
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.MULTILINE)

    assert ("checkov", installer.CHECKOV_VERSION) in pins
    # The reason Checkov has an environment of its own: it pins an older boto3 than ours.
    assert any(name == "boto3" and version.startswith("1.35.") for name, version in pins)
    body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    requirements = re.split(r"\n(?=[A-Za-z])", body.strip())
    assert len(requirements) == len(pins)
    assert all("--hash=sha256:" in block for block in requirements)


def test_two_installs_at_once_make_one_environment(tmp_path: Path, requirements: Path) -> None:
    # Parallel test workers (and two tasks started together) meet here on a fresh clone.
    uv, log = fake_uv(tmp_path)
    slow_uv = tmp_path / "slow-uv"
    slow_uv.write_text(f'#!/bin/sh\nsleep 0.3\nexec "{uv}" "$@"\n')
    slow_uv.chmod(0o755)
    tools = tmp_path / "tools"
    with ThreadPoolExecutor(max_workers=2) as pool:
        installs = [
            pool.submit(
                installer.ensure_checkov,
                tools,
                lambda line: None,
                requirements=requirements,
                uv=str(slow_uv),
            )
            for _ in range(2)
        ]
        binaries = {install.result() for install in installs}

    assert binaries == {installer.checkov_path(tools)}
    assert [call.split()[0] for call in log.read_text().splitlines()] == ["venv", "pip"]
