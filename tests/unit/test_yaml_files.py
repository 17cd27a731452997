"""The one YAML reader: a mapping, or one line naming the file and the fault."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.yaml_files import load_yaml, read_mapping


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


@pytest.mark.parametrize(
    ("content", "key", "lines"),
    [
        # Issue 21: an appended `production: false` once switched production's protection off.
        ("app: webapp\nproduction: true\ndebug: false\nproduction: false\n", "production", (2, 4)),
        ("config:\n  compute:webPort: 8080\n  compute:webPort: 80\n", "compute:webPort", (2, 3)),
        ("{a: 1, a: 2}\n", "a", (1, 1)),
    ],
)
def test_a_key_written_twice_is_refused_with_both_lines(
    tmp_path: Path, content: str, key: str, lines: tuple[int, int]
) -> None:
    path = tmp_path / "production.yaml"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(ReaderError) as raised:
        read_mapping(path, error=ReaderError)

    message = str(raised.value)
    assert message.startswith(f"{path}: duplicate key {key!r} on lines {lines[0]} and {lines[1]}")
    assert "\n" not in message
    assert raised.value.__cause__ is None


def test_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("base: &base {a: 1, b: 2}\nderived:\n  <<: *base\n  b: 3\n", encoding="utf-8")

    assert read_mapping(path)["derived"] == {"a": 1, "b": 3}


def test_the_loader_is_a_yaml_error_for_other_readers() -> None:
    with pytest.raises(yaml.YAMLError, match="duplicate key 'a'"):
        load_yaml("a: 1\na: 2\n")
    assert load_yaml("- 1\n") == [1]
