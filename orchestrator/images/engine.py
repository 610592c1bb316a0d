"""The container engine that builds and pushes the image: docker or podman, whichever works.

"Works" means the engine answers ``<engine> info``: a docker client without a reachable daemon
is on PATH on many machines (CI runners, this project's own sandboxes) and cannot build
anything, so being on PATH is not enough. Both engines take the same ``build``, ``tag``,
``push``, ``login`` and ``image inspect`` arguments used here; where they differ (podman's
``--tls-verify``, its ``--digestfile``) the difference is handled in one place below.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from orchestrator.errors import OperationFailed, UserError

EngineName = Literal["docker", "podman"]
ENGINES: tuple[EngineName, ...] = ("docker", "podman")
TAIL_LINES = 20


class NoContainerEngine(UserError):
    """Neither docker nor podman can build here; the message says what was found and the fix."""


class EngineCommandFailed(OperationFailed):
    """An engine command (build, push, login) exited non-zero; the message carries its output."""


@dataclass(frozen=True)
class ContainerEngine:
    """One working engine: its name and the executable that runs it."""

    name: EngineName
    executable: str

    def run(
        self, *args: str, input_text: str | None = None, what: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run ``<engine> args...``; a non-zero exit raises with the command's own output."""
        result = subprocess.run(
            [self.executable, *args],
            input=input_text,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip()
            raise EngineCommandFailed(
                f"{what or self.name + ' ' + args[0]} failed (exit {result.returncode}): {detail}"
            )
        return result

    def stream(self, *args: str, progress: Callable[[str], None], what: str) -> None:
        """Run a long engine command (build, push), passing each output line to ``progress``;
        a non-zero exit raises with the last lines, where engines put the reason."""
        tail: deque[str] = deque(maxlen=TAIL_LINES)
        with subprocess.Popen(
            [self.executable, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                line = line.rstrip()
                if line:
                    tail.append(line)
                    progress(line)
        if process.returncode != 0:
            raise EngineCommandFailed(
                f"{what} failed (exit {process.returncode}):\n" + "\n".join(tail)
            )

    def image_id(self, reference: str) -> str | None:
        """The local image's id (``sha256:`` of its config), or None when there is no such
        image. A registry manifest names the same digest as its config, which is how a pushed
        image is recognised as this one."""
        result = subprocess.run(
            [self.executable, "image", "inspect", "--format", "{{.Id}}", reference],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return None
        found = result.stdout.strip()
        return found if found.startswith("sha256:") else f"sha256:{found}"

    def insecure_flags(self, registry_host: str) -> list[str]:
        """Flags that let podman talk plain HTTP to a registry on this machine (a test
        registry on 127.0.0.1); docker already treats loopback registries as insecure."""
        if self.name == "podman" and is_loopback_registry(registry_host):
            return ["--tls-verify=false"]
        return []


def is_loopback_registry(host: str) -> bool:
    """True for ``127.0.0.1:5000`` and ``localhost:5000`` style registry hosts."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in {"127.0.0.1", "localhost", "[::1]"}


def _answers(executable: str) -> tuple[bool, str]:
    try:
        result = subprocess.run(
            [executable, "info"], capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    detail = (result.stderr or result.stdout).strip().splitlines()
    return result.returncode == 0, (detail[-1] if detail else f"exit {result.returncode}")


def find_engine(wanted: EngineName | None = None) -> ContainerEngine:
    """The named engine, or the first of docker, podman that answers ``info``."""
    candidates = (wanted,) if wanted else ENGINES
    problems: list[str] = []
    for name in candidates:
        executable = shutil.which(name)
        if executable is None:
            problems.append(f"{name}: not installed")
            continue
        works, detail = _answers(executable)
        if works:
            return ContainerEngine(name, executable)
        problems.append(f"{name}: installed but not working ({detail})")
    raise NoContainerEngine(
        "no container engine can build images here: "
        + "; ".join(problems)
        + ". Install podman (on Debian, as root: ../shared/containers/podman-setup.sh, or "
        "apt-get install podman) or start the docker daemon, then retry"
        + (f" (or drop --engine {wanted})" if wanted else "")
        + "."
    )
