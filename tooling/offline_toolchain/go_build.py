"""Build the Pulumi CLI from its Go modules (the offline route of `pulumi_cli`).

`go install github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@vX` is refused because the pkg module's
go.mod carries `replace` directives, which Go only honours in the main module. So we build from a
throwaway main module that requires pkg and sdk at the pinned version and repeats their non-local
replace lines, read from the downloaded go.mod rather than hard-coded, so a version bump needs
no edit here.

Only pkg's replaces are repeated, not sdk's: upstream builds the CLI inside pkg/, where sdk is a
dependency and Go ignores a dependency's replaces. Repeating sdk's would change the binary (sdk
v3.260.0 pins golang.org/x/text to v0.39.0 while pkg requires v0.41.0).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PKG_MODULE = "github.com/pulumi/pulumi/pkg/v3"
SDK_MODULE = "github.com/pulumi/pulumi/sdk/v3"
MAIN_PACKAGE = f"{PKG_MODULE}/cmd/pulumi"
# `pulumi version` prints this variable; it is empty unless the linker sets it
# (sdk/go/common/version/version.go: "Version is initialized by the Go linker").
VERSION_VARIABLE = f"{SDK_MODULE}/go/common/version.Version"

# Module path of the throwaway main module; never published, any valid path works.
_BUILD_MODULE = "pulumi-cli-build"
# Seconds of silence from go before we print a "still working" line.
_HEARTBEAT_SECONDS = 30.0
# How many `go: downloading` / compiled-package lines to fold into one progress line.
_SUMMARY_EVERY = 100

Progress = Callable[[str], None]


class GoBuildError(RuntimeError):
    """A go command failed; the message carries the tail of its output."""


@dataclass(frozen=True)
class Replace:
    """One `replace old [v] => new [v]` directive of a go.mod file."""

    old_path: str
    new_path: str
    old_version: str | None = None
    new_version: str | None = None

    @property
    def is_local(self) -> bool:
        # A replacement without a version is a directory on disk (Go's rule); such paths point
        # into the upstream repository checkout (e.g. `=> ../sdk`) and mean nothing to us.
        return self.new_version is None

    def directive(self) -> str:
        old = f"{self.old_path} {self.old_version}" if self.old_version else self.old_path
        new = f"{self.new_path} {self.new_version}" if self.new_version else self.new_path
        return f"replace {old} => {new}"


def replaces_from_go_mod_json(document: Mapping[str, Any]) -> list[Replace]:
    """The replace directives of a go.mod, given as parsed `go mod edit -json` output."""
    replaces = []
    for entry in document.get("Replace") or []:
        old, new = entry["Old"], entry["New"]
        replaces.append(
            Replace(
                old_path=old["Path"],
                old_version=old.get("Version") or None,
                new_path=new["Path"],
                new_version=new.get("Version") or None,
            )
        )
    return replaces


def repeatable_replaces(replaces: Iterable[Replace]) -> list[Replace]:
    """The replaces a throwaway main module can repeat: the non-local ones."""
    return [replace for replace in replaces if not replace.is_local]


def render_go_mod(version: str, go_directive: str | None, replaces: Sequence[Replace]) -> str:
    """go.mod of the throwaway main module building the CLI at `version` (no leading v)."""
    lines = [f"module {_BUILD_MODULE}", ""]
    if go_directive:
        lines += [f"go {go_directive}", ""]
    lines += [
        "require (",
        f"\t{PKG_MODULE} v{version}",
        f"\t{SDK_MODULE} v{version}",
        ")",
        "",
    ]
    lines += [replace.directive() for replace in replaces]
    return "\n".join(lines).rstrip("\n") + "\n"


# A file that only imports the main package, so `go mod tidy` resolves its whole import graph.
# The build tag keeps it out of any real compilation.
_TOOLS_GO = f"""//go:build tools

package tools

import _ "{MAIN_PACKAGE}"
"""


def ldflags(version: str) -> str:
    # -s -w drop the symbol table and DWARF data (about a third of the binary); stack traces
    # keep working because they use pclntab.
    return f"-s -w -X {VERSION_VARIABLE}=v{version}"


def go_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for go commands: immune to a caller's GOFLAGS/GOWORK and to cgo."""
    env = dict(os.environ if base is None else base)
    env["GOFLAGS"] = "-mod=mod"  # e.g. a global -mod=vendor would break the throwaway module
    env["GOWORK"] = "off"
    env["CGO_ENABLED"] = "0"  # a static binary, like the released one; needs no C compiler
    return env


def build_pulumi_cli(
    go: str,
    version: str,
    destination: Path,
    progress: Progress,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Build `pulumi` at `version` into `destination` (a file path) and return it.

    The binary is written next to `destination` under a temporary name and renamed into place,
    so an interrupted build never leaves a truncated `pulumi` behind.
    """
    environment = go_env(env)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pulumi-cli-build-") as scratch:
        workdir = Path(scratch)
        progress(f"go: fetching {PKG_MODULE} and {SDK_MODULE} v{version} go.mod files")
        go_mods = _download_go_mods(go, version, workdir, environment)
        pkg_go_mod = _go_mod_json(go, go_mods[PKG_MODULE], workdir, environment)
        replaces = repeatable_replaces(replaces_from_go_mod_json(pkg_go_mod))
        go_directive = pkg_go_mod.get("Go")
        (workdir / "go.mod").write_text(render_go_mod(version, go_directive, replaces))
        (workdir / "tools.go").write_text(_TOOLS_GO)
        progress(f"go: replace directives repeated from {PKG_MODULE}'s go.mod: {len(replaces)}")
        for replace in replaces:
            progress(f"go:   {replace.directive()}")

        progress("go: resolving dependencies (go mod tidy; downloads modules on first run)")
        _run_streamed([go, "mod", "tidy"], workdir, environment, progress, "modules downloaded")

        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".{destination.name}.partial-{os.getpid()}")
        progress(f"go: building {MAIN_PACKAGE} (a cold build takes minutes)")
        command = [
            go,
            "build",
            "-v",
            "-trimpath",
            "-ldflags",
            ldflags(version),
            "-o",
            str(partial),
            MAIN_PACKAGE,
        ]
        try:
            _run_streamed(command, workdir, environment, progress, "packages compiled")
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
    progress(f"go: built {destination} in {time.monotonic() - started:.0f}s")
    return destination


def _download_go_mods(
    go: str, version: str, workdir: Path, env: Mapping[str, str]
) -> dict[str, Path]:
    modules = [f"{PKG_MODULE}@v{version}", f"{SDK_MODULE}@v{version}"]
    # This fetches the module zips too; we only need pkg's go.mod now, but the build needs both
    # zips right after, so it is no extra work.
    output = _run_captured([go, "mod", "download", "-json", *modules], workdir, env)
    result: dict[str, Path] = {}
    for document in _json_stream(output):
        if document.get("Error"):
            raise GoBuildError(f"go mod download {document.get('Path')}: {document['Error']}")
        result[document["Path"]] = Path(document["GoMod"])
    missing = {PKG_MODULE, SDK_MODULE} - result.keys()
    if missing:
        raise GoBuildError(f"go mod download returned no go.mod for {sorted(missing)}")
    return result


def _go_mod_json(go: str, go_mod: Path, workdir: Path, env: Mapping[str, str]) -> dict[str, Any]:
    # The cached .mod file is read-only and named *.mod; `go mod edit` only reads it here.
    copy = workdir / f"{go_mod.stem}.go.mod"
    shutil.copyfile(go_mod, copy)
    try:
        document: dict[str, Any] = json.loads(
            _run_captured([go, "mod", "edit", "-json", str(copy)], workdir, env)
        )
    finally:
        copy.unlink(missing_ok=True)
    return document


def _json_stream(text: str) -> Iterator[dict[str, Any]]:
    """`go mod download -json` prints concatenated JSON objects, not a JSON array."""
    decoder = json.JSONDecoder()
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        document, index = decoder.raw_decode(text, index)
        yield document


def _run_captured(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise GoBuildError(
            f"`{' '.join(command)}` failed ({result.returncode}):\n"
            f"{_tail(result.stderr or result.stdout)}"
        )
    return result.stdout


def _run_streamed(
    command: Sequence[str], cwd: Path, env: Mapping[str, str], progress: Progress, noun: str
) -> None:
    """Run a go command, folding its per-package/per-module lines into periodic summaries.

    go prints one line per downloaded module or compiled package (hundreds of each); showing
    all would drown the useful lines, showing none would look like a hang.
    """
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    started = time.monotonic()
    recent: list[str] = []
    count = 0
    while True:
        try:
            line = lines.get(timeout=_HEARTBEAT_SECONDS)
        except queue.Empty:
            progress(f"go: still working ({time.monotonic() - started:.0f}s, {count} {noun})")
            continue
        if line is None:
            break
        recent = [*recent[-40:], line]
        if _is_routine(line):
            count += 1
            if count % _SUMMARY_EVERY == 0:
                progress(f"go: {count} {noun} ({time.monotonic() - started:.0f}s)")
        else:
            progress(f"go: {line}")
    code = process.wait()
    # The pump read stdout to its end; closing it is ours (else a ResourceWarning at exit).
    assert process.stdout is not None
    process.stdout.close()
    progress(f"go {command[1]}: finished, {count} {noun} in {time.monotonic() - started:.0f}s")
    if code != 0:
        raise GoBuildError(f"`{' '.join(command)}` failed ({code}):\n" + "\n".join(recent))


def _is_routine(line: str) -> bool:
    # `go: downloading mod vX` from tidy, bare import paths from `go build -v`.
    return (
        line.startswith("go: downloading ")
        or (" " not in line and "/" in line)
        or (line.isidentifier())
    )


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
