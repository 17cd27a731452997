"""The Python plugin executables the Pulumi engine launches, generated next to `pulumi`.

The engine finds plugins by file name, first on $PATH, then (for the language host and the
dynamic-provider plugin) next to the running `pulumi` binary, so writing them into the CLI's bin
directory is enough. Each is a small sh script that runs a baked-in interpreter: the one that
called `ensure_pulumi_cli` (`sys.executable`, the repo's venv), which has pulumi, pulumi-policy
and this repo installed. Re-running the install rewrites them, so a recreated venv is picked up.

- pulumi-language-python: our LanguageRuntime server (language_host.py). The real Go host is not
  obtainable offline (the module proxy refuses that module at every version).
- pulumi-resource-pulumi-python: runs dynamic providers, `python -u -m pulumi.dynamic`, like the
  upstream script of the same name (honours PULUMI_RUNTIME_VIRTUALENV, set by the engine from
  Pulumi.yaml `runtime.options.virtualenv`).
- pulumi-analyzer-policy-python: the engine's fallback for Python policy packs when it finds no
  language plugin; `python -u -m pulumi.policy ENGINE PACK_DIR` like the upstream script. With
  our language host present the engine uses its RunPlugin instead.

A release download ships real binaries under these names; files without our marker line are
never overwritten.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

from orchestration.engine.pulumi_install import PYTHON_PLUGINS

MARKER = "# generated-by: tooling.offline_toolchain.shims"
# Markers of earlier layouts: their shims are ours too, and are rewritten (they point at a
# language host that has moved).
LEGACY_MARKERS = (
    "# generated-by: infra.orchestration.shims",
    "# generated-by: orchestration.toolchain.shims",
)

SHIM_NAMES = PYTHON_PLUGINS
LANGUAGE_HOST, DYNAMIC_PROVIDER, POLICY_ANALYZER = PYTHON_PLUGINS

_LANGUAGE_HOST_SOURCE = Path(__file__).with_name("language_host.py")

# Shared by the two plugin shims: activate a virtualenv the way the upstream scripts do
# (relative paths are relative to the plugin's working directory).
_USE_VENV = """\
use_venv() {
    venv=${1%/}
    case $venv in
        /*) : ;;
        *) venv=$PWD/$venv ;;
    esac
    if [ ! -x "$venv/bin/python" ]; then
        echo "\\"$venv\\" doesn't appear to be a virtual environment (no bin/python)" >&2
        exit 1
    fi
    PATH="$venv/bin:$PATH"
    export PATH
    unset PYTHONHOME
    python="$venv/bin/python"
}
"""


def language_host_script(python: Path) -> str:
    # exec: the engine kills the plugin by pid, so python must be that process, not a child.
    return f"""#!/bin/sh
{MARKER}
# Pulumi language host for Python programs (tooling/offline_toolchain/language_host.py).
exec {shlex.quote(str(python))} -u {shlex.quote(str(_LANGUAGE_HOST_SOURCE))} "$@"
"""


def dynamic_provider_script(python: Path) -> str:
    return f"""#!/bin/sh
{MARKER}
# Runs Pulumi dynamic providers (pulumi.dynamic) for Python programs.
python=${{PULUMI_PYTHON_CMD:-{shlex.quote(str(python))}}}
{_USE_VENV}
if [ -z "${{PULUMI_RUNTIME_VIRTUALENV:-}}" ] && [ "${{PULUMI_RUNTIME_TOOLCHAIN:-}}" = "uv" ]; then
    PULUMI_RUNTIME_VIRTUALENV=.venv
fi
if [ -n "${{PULUMI_RUNTIME_VIRTUALENV:-}}" ]; then
    use_venv "$PULUMI_RUNTIME_VIRTUALENV"
fi
exec "$python" -u -m pulumi.dynamic "$@"
"""


def policy_analyzer_script(python: Path) -> str:
    # The engine passes logging flags (--logtostderr, -v=N, --tracing URL) before its two
    # positional arguments and runtime options (-virtualenv=...) after them; pick the
    # positionals out instead of trusting $1 and $2.
    return f"""#!/bin/sh
{MARKER}
# Runs Python CrossGuard policy packs (pulumi.policy) when the engine asks for the analyzer.
python={shlex.quote(str(python))}
{_USE_VENV}
engine=""
pack=""
venv=""
skip=""
for arg in "$@"; do
    if [ -n "$skip" ]; then skip=""; continue; fi
    case $arg in
        -virtualenv=*|--virtualenv=*) venv=${{arg#*=}} ;;
        -tracing|--tracing) skip=1 ;;
        -*) : ;;
        *) if [ -z "$engine" ]; then engine=$arg; elif [ -z "$pack" ]; then pack=$arg; fi ;;
    esac
done
if [ -n "$venv" ]; then
    use_venv "$venv"
fi
exec "$python" -u -m pulumi.policy "$engine" "$pack"
"""


_RENDERERS: dict[str, Callable[[Path], str]] = {
    LANGUAGE_HOST: language_host_script,
    DYNAMIC_PROVIDER: dynamic_provider_script,
    POLICY_ANALYZER: policy_analyzer_script,
}


def is_generated(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(256)
    except OSError:
        return False
    return any(marker.encode() in head for marker in (MARKER, *LEGACY_MARKERS))


def write_shims(bin_dir: Path, python: Path | None = None) -> list[Path]:
    """Write (or refresh) the shims into `bin_dir`; returns the paths written or kept.

    A file of the same name that we did not generate (a real plugin binary, or a symlink to one)
    is left alone: the real thing beats our stand-in.
    """
    interpreter = python or Path(sys.executable)
    bin_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, render in _RENDERERS.items():
        path = bin_dir / name
        paths.append(path)
        # exists() follows symlinks: a dangling link (its CLI install is gone) gets replaced.
        if path.exists() and not is_generated(path):
            continue
        content = render(interpreter)
        if path.exists() and path.read_text() == content:
            continue
        partial = path.with_name(f".{name}.partial-{os.getpid()}")
        partial.write_text(content)
        partial.chmod(0o755)
        os.replace(partial, path)  # atomic: the engine may be launching the old one right now
    return paths
