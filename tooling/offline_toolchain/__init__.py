"""The offline toolchain: the Pulumi CLI built from its Go modules, and the Python plugins.

Repository tooling, not product: it exists because some machines (this repository's CI among
them) cannot download the Pulumi CLI release. On a normal machine `invoke setup` installs the
official release (`orchestration.engine.pulumi_install`) and none of this runs. Where the
release cannot be had, that installer looks this package up by name and calls:

- `build_cli`: the CLI built with `go` from the module proxy (`go_build`);
- `write_plugins`: the Python plugins the engine launches (`shims`): our language host
  (`language_host` with `program_exec`; the Go host's module cannot be had), the dynamic
  provider and the policy analyzer. Plugins it did not generate are left alone.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from tooling.offline_toolchain import go_build, shims


def build_cli(destination: Path, version: str, progress: Callable[[str], None]) -> str | None:
    """Build the CLI at `version` into `destination`; None, or one line saying why not."""
    go = shutil.which("go")
    if go is None:
        return "go: not found on PATH"
    progress(f"Building Pulumi CLI v{version} from Go modules with {go}")
    try:
        go_build.build_pulumi_cli(go, version, destination, progress)
    except (go_build.GoBuildError, OSError) as error:
        # go's own output went through progress already; one line here keeps it readable.
        return f"go build: {_first_line(str(error))}"
    return None


def write_plugins(bin_dir: Path, python: Path) -> list[Path]:
    """The Python plugins in `bin_dir`, written where missing or ours; the paths there."""
    return shims.write_shims(bin_dir, python)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""
