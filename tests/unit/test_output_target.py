"""`--json PATH|-` and `--output PATH`: one rule for every task (shared/output_target.py)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from shared import output_target
from shared.output_target import OutputTarget, OutputTargetError, parse_optional


def test_a_dash_is_standard_output() -> None:
    target = OutputTarget.parse("-")
    out = io.StringIO()

    target.write('{"a": 1}', out)

    assert target.is_stdout
    assert target.describe() == "standard output"
    assert out.getvalue() == '{"a": 1}\n'


def test_a_path_is_written_with_a_final_newline(tmp_path: Path) -> None:
    target = OutputTarget.parse(str(tmp_path / "out.json"))

    target.write("{}")

    assert not target.is_stdout
    assert (tmp_path / "out.json").read_text(encoding="utf-8") == "{}\n"
    assert target.describe() == str(tmp_path / "out.json")


def test_not_given_is_none() -> None:
    assert parse_optional(None) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "give a file path, or - for standard output"),
        (".", "it is a directory"),
        ("missing/out.json", "missing does not exist"),
    ],
)
def test_an_unusable_target_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, why: str
) -> None:
    monkeypatch.chdir(tmp_path)

    with pytest.raises(OutputTargetError) as caught:
        OutputTarget.parse(name, "JSON plan")

    message = str(caught.value)
    assert message.startswith(f"cannot write the JSON plan to {name}: ")
    assert why in message
    assert "\n" not in message


def test_a_read_only_file_or_folder_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a user without write permission sees it (the tests may run as root, who may write).
    monkeypatch.setattr(output_target.os, "access", lambda path, mode: False)
    existing = tmp_path / "read-only.json"
    existing.write_text("", encoding="utf-8")

    with pytest.raises(OutputTargetError, match=r"read-only\.json: the file is not writable"):
        OutputTarget.parse(str(existing))
    with pytest.raises(OutputTargetError, match=re.escape(f"{tmp_path} is not writable")):
        OutputTarget.parse(str(tmp_path / "new.json"))


def test_a_file_nobody_may_write_is_refused_even_for_root(tmp_path: Path) -> None:
    # /proc/version is such a file: root passes os.access, and the write fails only at the end.
    existing = tmp_path / "read-only.json"
    existing.write_text("", encoding="utf-8")
    existing.chmod(0o444)

    with pytest.raises(OutputTargetError, match=r"read-only\.json: the file is not writable"):
        OutputTarget.parse(str(existing))


def test_a_write_the_system_refuses_late_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = OutputTarget.parse(str(tmp_path / "out.json"), "outputs' JSON")

    def refuse(self: Path, *args: object, **kwargs: object) -> int:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(Path, "write_text", refuse)

    with pytest.raises(OutputTargetError) as refused:
        target.write("{}")

    assert str(refused.value) == (
        f"cannot write the outputs' JSON to {tmp_path / 'out.json'}: Input/output error"
    )
