"""The one YAML reader: a mapping, or one line naming the file and the fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.yaml_files import read_mapping


class ReaderError(Exception):
    """Stands for a caller's own error type."""


def test_reads_a_mapping_and_an_empty_file(tmp_path: Path) -> None:
    full, empty = tmp_path / "full.yaml", tmp_path / "empty.yaml"
    full.write_text("a: 1\nb: [x, y]\n", encoding="utf-8")
    empty.write_text("", encoding="utf-8")

    assert read_mapping(full) == {"a": 1, "b": ["x", "y"]}
    assert read_mapping(empty) == {}


def test_a_missing_file_is_empty_only_when_allowed(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"

    assert read_mapping(missing, missing_ok=True) == {}
    with pytest.raises(ReaderError, match=r"missing\.yaml does not exist"):
        read_mapping(missing, error=ReaderError)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"key: [unclosed\n", "not valid YAML"),
        (b"- a list\n", "must hold a mapping"),
        (b"app: caf\xe9\n", r"is not UTF-8 text \(byte 8\)"),
    ],
)
def test_faults_are_one_line_in_the_callers_type(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)

    with pytest.raises(ReaderError, match=problem) as raised:
        read_mapping(path, error=ReaderError)

    assert str(path) in str(raised.value)
    assert raised.value.__cause__ is None


def test_a_directory_is_named_as_such(tmp_path: Path) -> None:
    directory = tmp_path / "production.yaml"
    directory.mkdir()

    with pytest.raises(ReaderError, match="is a directory, not a YAML file"):
        read_mapping(directory, error=ReaderError)


def test_an_unreadable_file_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.yaml"
    path.write_text("a: 1\n", encoding="utf-8")

    def refuse(self: Path, encoding: str | None = None) -> str:
        # The tests run as root, who may read a mode-000 file: refuse the way the OS would.
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)

    with pytest.raises(ReaderError, match=r"locked\.yaml cannot be read: Permission denied"):
        read_mapping(path, error=ReaderError)
