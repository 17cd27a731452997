"""Install the Pulumi CLI at exactly the version of the pinned `pulumi` Python SDK.

`ensure_pulumi_cli(tools_dir, progress)` returns `tools_dir/pulumi/<version>/bin`, holding
`pulumi` and the Python plugins the engine launches. Put it first on PATH. The version is the
SDK's: CLI and SDK speak one gRPC protocol, and the Automation API refuses an older CLI.

Strategies, first that works wins:
1. a `pulumi` on PATH at exactly that version (linked into the bin dir with its plugins, so the
   bin dir is the one place to look);
2. the official release download through the Automation API (`PulumiCommand.install`), in a
   subprocess whose network operations time out quickly, so an offline machine falls through
   in seconds;
3. where the repository's offline toolchain is importable (`tooling.offline_toolchain`, a
   checkout's tooling, not part of the shipped package), a build from the Go modules and the
   Python plugins it lacks;
4. otherwise PulumiCliUnavailable, saying how to install it by hand.
An existing install that reports the right version is reused as is.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Final

from orchestration.tools_lock import installing

PINNED_VERSION: Final[str] = metadata.version("pulumi")

Progress = Callable[[str], None]

# Seconds for one blocking network operation of the release download (DNS, connect, a read).
DOWNLOAD_SOCKET_TIMEOUT: Final = 15.0
# Seconds for the whole release download; a healthy one takes well under a minute.
DOWNLOAD_TOTAL_TIMEOUT: Final = 900.0
_VERSION_TIMEOUT: Final = 60.0

# Pulumi's variable that stops the CLI from asking the network for a newer version.
SKIP_UPDATE_CHECK_VAR: Final = "PULUMI_SKIP_UPDATE_CHECK"
# The environment every CLI call here gets: no update check, no plugin downloads.
QUIET_CLI_ENV: Final[Mapping[str, str]] = {
    SKIP_UPDATE_CHECK_VAR: "true",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
}

# The Python plugins the engine launches by file name; a release ships them next to `pulumi`.
PYTHON_PLUGINS: Final = (
    "pulumi-language-python",
    "pulumi-resource-pulumi-python",
    "pulumi-analyzer-policy-python",
)
# Looked up by name so the shipped package never depends on a checkout's tooling.
OFFLINE_TOOLCHAIN_MODULE: Final = "tooling.offline_toolchain"

_VERSION_LINE = re.compile(r"^v?(\d+\.\d+\.\d+\S*)$")
# Next to the binary: the version it reported, and which binary that was.
VERSION_STAMP = ".pulumi-version"


class PulumiCliUnavailable(RuntimeError):
    """No strategy could provide the Pulumi CLI; the message says how to install it by hand."""


def install_root(tools_dir: Path, version: str = PINNED_VERSION) -> Path:
    return tools_dir / "pulumi" / version


def bin_dir(tools_dir: Path, version: str = PINNED_VERSION) -> Path:
    return install_root(tools_dir, version) / "bin"


def cli_version(pulumi: Path | str) -> str | None:
    """The version `pulumi version` reports (without the leading v), or None if it won't say."""
    env = {**os.environ, **QUIET_CLI_ENV}
    try:
        result = subprocess.run(
            [str(pulumi), "version"],
            capture_output=True,
            text=True,
            env=env,
            timeout=_VERSION_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    lines = result.stdout.strip().splitlines()
    match = _VERSION_LINE.match(lines[-1].strip()) if lines else None
    return match.group(1) if match else None


def verified_version(pulumi: Path) -> str | None:
    """`cli_version(pulumi)`, asked once per install: the answer is kept in a stamp file.

    The stamp (next to the binary) records the version with the binary's resolved path, size
    and modification time, so every later run reads it instead of starting `pulumi version`
    (a tenth of a second or more, twice per task before); a replaced binary is asked again.
    """
    try:
        real = pulumi.resolve(strict=True)
        info = real.stat()
    except OSError:
        return None
    identity = f"{real} {info.st_size} {info.st_mtime_ns}"
    stamp = pulumi.with_name(VERSION_STAMP)
    try:
        recorded, checked = stamp.read_text(encoding="utf-8").splitlines()[:2]
    except (OSError, ValueError):
        recorded = checked = ""
    if checked == identity and recorded:
        return recorded
    found = cli_version(pulumi)
    if found is not None:
        partial = stamp.with_name(f"{stamp.name}.partial-{os.getpid()}")
        try:
            partial.write_text(f"{found}\n{identity}\n", encoding="utf-8")
            os.replace(partial, stamp)
        except OSError:
            # A read-only bin dir: ask again next time, as before.
            partial.unlink(missing_ok=True)
    return found


def ensure_pulumi_cli(tools_dir: Path, progress: Progress, version: str = PINNED_VERSION) -> Path:
    """Make sure the pinned CLI and its Python plugins are in the bin dir; return it."""
    target = bin_dir(tools_dir, version)
    pulumi = target / "pulumi"
    offline = offline_toolchain()
    with installing(tools_dir):
        installed = verified_version(pulumi) == version
        if not installed:
            _install(target, version, progress, offline)
        plugins = ""
        if offline is not None:
            # Plugins a release or the ambient CLI brought are kept; the missing ones are written.
            written = offline.write_plugins(target, Path(sys.executable))
            plugins = f", Python plugins {', '.join(path.name for path in written)}"
    # One line per run for the CLI and its plugins (the install steps, if any, came before).
    state = "already installed" if installed else "installed"
    progress(f"Pulumi CLI v{version} {state}: {pulumi}{plugins}")
    return target


def offline_toolchain() -> ModuleType | None:
    """The repository's offline toolchain where this is a checkout of it, else None."""
    try:
        return importlib.import_module(OFFLINE_TOOLCHAIN_MODULE)
    except ModuleNotFoundError:
        return None


def _install(target: Path, version: str, progress: Progress, offline: ModuleType | None) -> None:
    failures: list[str] = []
    # A wrong-version leftover would satisfy PulumiCommand.install's "at least" check.
    (target / "pulumi").unlink(missing_ok=True)
    if _link_ambient(target, version, progress):
        return
    if _download(target, version, progress, failures):
        return
    if offline is not None:
        failure = offline.build_cli(target / "pulumi", version, progress)
        if failure is None:
            built = cli_version(target / "pulumi")
            if built == version:
                return
            failure = f"go build: the binary reports version {built!r}"
        failures.append(failure)
    raise PulumiCliUnavailable(unavailable_message(version, target, failures))


def _link_ambient(target: Path, version: str, progress: Progress) -> bool:
    """Strategy 1: reuse a `pulumi` on PATH that has exactly our version."""
    found = shutil.which("pulumi", path=_path_without(target))
    if found is None:
        return False
    real = Path(found).resolve()
    found_version = cli_version(real)
    if found_version != version:
        progress(f"Ignoring {found}: version {found_version or 'unknown'}, need {version}")
        return False
    target.mkdir(parents=True, exist_ok=True)
    _symlink(real, target / "pulumi")
    # Its own plugins (a real pulumi-language-python, ...) beat the offline toolchain's: link
    # them too; that toolchain leaves files it did not generate alone.
    for name in PYTHON_PLUGINS:
        sibling = real.parent / name
        if sibling.exists():
            _symlink(sibling, target / name)
    progress(f"Using Pulumi CLI v{version} found on PATH: {real}")
    return True


def _download(target: Path, version: str, progress: Progress, failures: list[str]) -> bool:
    """Strategy 2: the release download, via the Automation API, with quick network timeouts."""
    progress(f"Downloading Pulumi CLI v{version} (release build)")
    # In a subprocess: the Automation API opens URLs without a timeout, and a process-wide
    # socket default timeout must not leak into the caller.
    script = (
        "import socket, sys\n"
        "socket.setdefaulttimeout(float(sys.argv[3]))\n"
        "from semver import VersionInfo\n"
        "from pulumi.automation import PulumiCommand\n"
        "PulumiCommand.install(root=sys.argv[1], version=VersionInfo.parse(sys.argv[2]))\n"
    )
    command = [
        sys.executable,
        "-c",
        script,
        str(target.parent),
        version,
        str(DOWNLOAD_SOCKET_TIMEOUT),
    ]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=DOWNLOAD_TOTAL_TIMEOUT,
            env={**os.environ, **QUIET_CLI_ENV},
        )
    except subprocess.TimeoutExpired:
        failures.append(f"download: no result after {DOWNLOAD_TOTAL_TIMEOUT:.0f}s")
        return False
    if result.returncode == 0 and cli_version(target / "pulumi") == version:
        progress(f"Downloaded Pulumi CLI v{version} into {target}")
        return True
    reason = _last_line(result.stderr) or f"exit code {result.returncode}"
    failures.append(f"download: {reason}")
    progress(f"Download failed ({reason}); trying the next way")
    return False


def unavailable_message(version: str, target: Path, failures: list[str]) -> str:
    tried = "; ".join(failures) if failures else "nothing to try"
    return (
        f"Cannot install the Pulumi CLI v{version} (tried: {tried}). Install it by hand: "
        f"download the v{version} release archive for your platform from Pulumi's "
        f"GitHub releases (pulumi/pulumi, tag v{version}) and unpack its `pulumi` "
        f"directory so that {target / 'pulumi'} exists, or put a `pulumi` of exactly "
        f"v{version} on PATH, or install Go (1.26+) and re-run to build it from source; "
        "then run this command again."
    )


def _path_without(directory: Path) -> str:
    # Our own bin dir may be on PATH already; it must not count as "found on PATH".
    entries = os.environ.get("PATH", "").split(os.pathsep)
    resolved = directory.resolve()
    return os.pathsep.join(e for e in entries if e and Path(e).resolve() != resolved)


def _symlink(source: Path, link: Path) -> None:
    partial = link.with_name(f".{link.name}.partial-{os.getpid()}")
    partial.unlink(missing_ok=True)
    partial.symlink_to(source)
    os.replace(partial, link)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
