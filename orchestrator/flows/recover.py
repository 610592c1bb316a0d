"""``orchestrator recover --env E --region R --from BACKUP``: docs/dr.md's "Restore into another
region or account" as one command, composed of the existing flows (issue #22).

Steps, each printed as it starts, each one call into an existing flow:

1. environment: the environment file with ``region=R``, R's zones and replication off
   (``dr/recovery.py``), checked like the file; refusals are exit 2 before anything changes;
2. terraform: render + plan + apply of that environment in its own working folder, state key and
   backend file (``terraform/backends/<env>.<region>.s3.tfbackend``), so region R's state never
   touches the primary's; staging/prod apply only a reviewed plan (``--approve-plan``).
   ``--stack-outputs FILE`` gives R's outputs of an earlier apply instead;
3. restore: ``flows/restore.py`` with ``--artifacts-map``/``--images-map`` (default: the replicas
   ``terraform.dr.replication`` writes in R);
4. pipeline: ``pipeline upsert`` when the backup's commit is this checkout's HEAD; otherwise the
   exact checkout + upsert commands are printed and the recovery goes on;
5. deploy: ``flows/deploy.py``, the latest Approved version of the environment's dataset;
6. verify: ``flows/endpoint_test.py`` on the version's held-out rows, and its measured metric
   against the metric the backup recorded for that version (the backup holds no per-row
   predictions; the evaluation's metric is what the rows must reproduce).

A failed step is exit 1 naming the step and the command to resume from (restore keeps identical
versions and deploy converges, so running ``recover`` again with R's ``--stack-outputs`` is
safe); a user mistake only a later step can see (an unreviewed plan, an image R's repository
lacks) is exit 2 with the same naming. ``dry_run`` prints every step's commands and calls and
changes nothing.
"""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from orchestrator.backends.base import ArtifactStore, Backend, Progress
from orchestrator.backends.polling import PollSettings
from orchestrator.backends.select import StackSource, open_backend
from orchestrator.dr import location, provenance, recovery
from orchestrator.dr.manifest import Manifest, read_manifest, read_package
from orchestrator.dr.mapping import PrefixMap
from orchestrator.dr.registry_restore import Maps
from orchestrator.errors import OperationFailed, UserError
from orchestrator.settings.environment import PROTECTED_ENVIRONMENTS, EnvironmentConfig
from orchestrator.settings.overrides import EnvironmentSource

_T = TypeVar("_T")
STEPS = ("environment", "terraform", "restore", "pipeline", "deploy", "verify")


@dataclass(frozen=True)
class RecoverOptions:
    region: str
    backup: str
    artifacts: PrefixMap = ()
    images: PrefixMap = ()
    stack: StackSource = field(default_factory=StackSource)
    poll: PollSettings = field(default_factory=lambda: PollSettings(3600.0))
    dry_run: bool = False
    environments: EnvironmentSource | None = None


class StepError(Exception):
    """A step stopped, naming the step and the command to resume with, and carrying the
    summary of the steps so far."""

    def __init__(self, step: str, message: str, resume: str, summary: dict[str, Any]) -> None:
        super().__init__(f"step {step} failed: {message}. Resume with: {resume}")
        self.summary = {**summary, "failed_step": step, "resume": resume, "error": message}


class StepFailed(StepError, OperationFailed):
    """Exit 1: the step's work failed."""


class StepRefused(StepError, UserError):
    """Exit 2: a user mistake only this step could find (an unreviewed plan, an image the
    region's repository lacks)."""


@dataclass
class Recovery:
    """One recovery's state, passed from step to step."""

    config: EnvironmentConfig
    options: RecoverOptions
    progress: Progress
    primary_region: str
    sets: list[str] = field(default_factory=list)
    outputs_file: Path | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def flags(self, stack: bool = True) -> str:
        """``--env E --set ...`` (and R's ``--stack-outputs``) as every command repeats them."""
        given = self.options.environments
        words = ["--env", self.config.name]
        if given is not None and given.directory is not None:
            words += ["--environments-dir", str(given.directory)]
        for text in (*(given.overrides if given else ()), *self.sets):
            words += ["--set", text]
        if stack and self.outputs_file is not None:
            words += ["--stack-outputs", str(self.outputs_file)]
        return shlex.join(words)

    def resume(self) -> str:
        o = self.options
        maps = [f"--artifacts-map {old}={new}" for old, new in o.artifacts]
        maps += [f"--images-map {old}={new}" for old, new in o.images]
        given = self.options.environments
        words = ["--env", self.config.name]
        if given is not None and given.directory is not None:
            words += ["--environments-dir", str(given.directory)]
        for text in given.overrides if given else ():
            words += ["--set", text]
        stack = f" --stack-outputs {self.outputs_file}" if self.outputs_file else ""
        if not stack and o.stack.module_dir is not None:  # terraform runs again: the same module
            stack = f" --terraform-dir {o.stack.module_dir}"
        return (f"orchestrator recover {shlex.join(words)} --region {o.region} --from "
                f"{o.backup}{stack} {' '.join(maps)}").rstrip()  # fmt: skip

    def step(self, name: str, line: str) -> None:
        self.progress(f"[{STEPS.index(name) + 1}/{len(STEPS)}] {name}: {line}")


def recover(
    config: EnvironmentConfig, options: RecoverOptions, progress: Progress
) -> tuple[dict[str, Any], int]:
    """Re-create ``config`` in ``options.region`` from a backup; (summary, exit code)."""
    recovery.check_region(config, options.region)
    target, sets = recovery.recovery_environment(config, options.environments, options.region)
    run = Recovery(target, options, progress, config.region, sets)
    run.summary = {"environment": config.name, "region": options.region, "dry_run":
                   options.dry_run, "backup": options.backup, "steps": {}}  # fmt: skip
    run.step("environment", f"{config.name} in {options.region}: --set " + " --set ".join(sets))
    run.summary["steps"]["environment"] = {"set": sets}
    with tempfile.TemporaryDirectory(prefix="recover-") as scratch:
        early = _local_manifest(options.backup, config, Path(scratch))
        maps = _maps(config, early, options)
        if not _terraform(run):
            return run.summary, 0  # dry run without R's outputs: every step printed
        with open_backend(run.config, StackSource(outputs_file=run.outputs_file)) as backend:
            folder = location.fetch(options.backup, backend.artifacts, Path(scratch) / "b")
            manifest = early or _checked(read_manifest(folder, options.backup), config)
            found = maps or _maps(config, manifest, options)
            assert found is not None  # a manifest always gives maps (or refuses)
            _remap_dataset(run, found)
            _restore(run, backend, found)
            _pipeline(run, backend, manifest)
            _deploy_and_verify(run, backend, folder, manifest)
    return run.summary, 0


def _local_manifest(source: str, config: EnvironmentConfig, scratch: Path) -> Manifest | None:
    """A backup folder on this machine is checked before anything changes (an s3:// backup is
    read through R's store, once R's stack exists)."""
    if location.is_s3(source):
        return None
    folder = location.fetch(source, cast(ArtifactStore, None), scratch)  # a folder: no store
    return _checked(read_manifest(folder, source), config)


def _maps(
    config: EnvironmentConfig, manifest: Manifest | None, options: RecoverOptions
) -> Maps | None:
    if manifest is None:
        return None
    return recovery.default_maps(
        config, manifest.source, options.region, options.artifacts, options.images
    )


def _checked(manifest: Manifest, config: EnvironmentConfig) -> Manifest:
    if manifest.environment != config.name:
        raise UserError(
            f"the backup is of environment {manifest.environment}, not {config.name}; recover "
            f"it with --env {manifest.environment}"
        )
    return manifest


def _terraform(run: Recovery) -> bool:
    """Region R's stack; False when a dry run has no outputs to go on (every step printed)."""
    from orchestrator.flows import recover_stack

    o, stack = run.options, run.options.stack
    if stack.outputs_file is not None:
        if stack.approved_plan or stack.auto_approve:
            raise UserError(
                "--stack-outputs gives region R's outputs of an earlier apply and runs no "
                "Terraform, so --approve-plan / --auto-approve have nothing to apply; drop one"
            )
        from orchestrator.infra.stack import stack_outputs

        stack_outputs(run.config, stack.outputs_file)  # refuses another region's outputs
        if stack.preflight:  # what deploy checks without a plan, before anything changes
            from orchestrator.preflight.gate import preflight_gate

            preflight_gate(run.config)
        run.outputs_file = stack.outputs_file
        run.step("terraform", f"skipped: {o.region}'s outputs from {stack.outputs_file}")
        run.summary["steps"]["terraform"] = {"skipped": True, "outputs": str(run.outputs_file)}
        return True
    if stack.auto_approve and run.config.name in PROTECTED_ENVIRONMENTS:
        raise UserError(
            f"--auto-approve is refused for {run.config.name}: its stack changes only from a "
            "reviewed plan; run recover without it, review the plan it saves, then pass "
            "--approve-plan FILE"
        )
    lines = recover_stack.commands(run.config, stack.module_dir, stack.approved_plan)
    if o.dry_run:
        for line in lines:
            run.step("terraform", f"would run {line}")
        run.outputs_file = recover_stack.work_dir(run.config) / "outputs.json"
        run.summary["steps"]["terraform"] = {"would_run": lines}
        _print_later(run)
        return False
    run.step("terraform", f"render, plan and apply {run.config.name} in {o.region}")
    run.outputs_file = _guard(run, "terraform", lambda: recover_stack.apply(
        run.config, run.primary_region, stack.module_dir, stack.approved_plan,
        stack.preflight, run.progress))  # fmt: skip
    run.summary["steps"]["terraform"] = {"outputs": str(run.outputs_file)}
    return True


def _print_later(run: Recovery) -> None:
    """The steps after terraform, as a dry run without R's outputs can only name them."""
    commands = _commands(run, None)
    for name in ("restore", "pipeline", "deploy", "verify"):
        run.step(name, f"would run {commands[name]}")
        run.summary["steps"][name] = {"would_run": commands[name]}


def _commands(run: Recovery, manifest: Manifest | None) -> dict[str, str]:
    flags = run.flags()
    commit = (manifest.git.get("commit") if manifest else None) or "<the backup's git.commit>"
    maps = " ".join([*(f"--artifacts-map {a}={b}" for a, b in run.options.artifacts),
                     *(f"--images-map {a}={b}" for a, b in run.options.images)])  # fmt: skip
    return {
        "restore": f"orchestrator restore {flags} --from {run.options.backup} {maps}".rstrip(),
        "pipeline": f"git checkout {commit} && orchestrator pipeline upsert {flags}",
        "deploy": f"orchestrator deploy {flags} --model-package latest-approved",
        "verify": f"orchestrator endpoint-test {flags}",
    }


def _guard(run: Recovery, step: str, action: Callable[[], _T], resume: str | None = None) -> _T:
    """``action()``; a failure names the step and the command to resume from (exit 1; a user
    mistake found this late keeps exit 2)."""
    try:
        return action()
    except (OperationFailed, UserError) as exc:
        run.summary["failed_step"] = step
        run.summary["resume"] = resume or run.resume()
        message, resume = str(exc).rstrip("."), run.summary["resume"]
        kind = StepRefused if isinstance(exc, UserError) else StepFailed
        raise kind(step, message, resume, run.summary) from None


def _remap_dataset(run: Recovery, maps: Maps) -> None:
    """The environment's dataset read from its copy in R (the same maps as the registry)."""
    extra = recovery.dataset_overrides(run.config, maps)
    if extra:
        run.sets += extra
        given = run.options.environments
        from orchestrator.settings.environment import load_environment

        where = EnvironmentSource(given.directory if given else None,
                                  (*(given.overrides if given else ()), *run.sets))  # fmt: skip
        run.config = load_environment(run.config.name, where)


def _restore(run: Recovery, backend: Backend, maps: Maps) -> None:
    from orchestrator.flows.restore import restore

    dry = run.options.dry_run
    run.step("restore", ("checking" if dry else "restoring") + f" {run.options.backup} into "
             f"{backend.outputs.model_package_group_name} in {run.options.region}")  # fmt: skip
    report = _guard(run, "restore", lambda: restore(
        backend, run.config, run.options.backup, maps, run.progress, dry_run=dry))  # fmt: skip
    run.summary["steps"]["restore"] = report


def _pipeline(run: Recovery, backend: Backend, manifest: Manifest) -> None:
    """``pipeline upsert`` from this checkout when it is the backup's commit; else the
    commands, and the recovery goes on."""
    recorded, head = manifest.git.get("commit"), provenance.git_state().get("commit")
    command = _commands(run, manifest)["pipeline"]
    if run.options.dry_run or recorded is None or recorded != head:
        why = "dry run" if run.options.dry_run else (
            f"the backup's commit {recorded} is not this checkout's HEAD {head}")  # fmt: skip
        run.step("pipeline", f"not upserted ({why}); run: {command}")
        run.summary["steps"]["pipeline"] = {"upserted": False, "reason": why, "run": command}
        return
    from orchestrator.flows import pipeline
    from orchestrator.flows.models import ensure_dataset_group

    def upsert() -> dict[str, Any]:
        image = pipeline.image(backend, None)
        dataset = pipeline.choose_dataset(backend, run.config, None, None)
        ensure_dataset_group(backend, run.config, dataset.name)
        return pipeline.upsert(backend, run.config, dataset, image)

    run.step("pipeline", f"upserting from HEAD {head}")
    done = _guard(run, "pipeline", upsert)
    run.summary["steps"]["pipeline"] = {"upserted": True, "pipeline": done["pipeline"],
                                        "action": done["action"]}  # fmt: skip


def _deploy_and_verify(run: Recovery, backend: Backend, folder: Path, manifest: Manifest) -> None:
    from orchestrator.flows.deploy import deploy
    from orchestrator.flows.endpoint_test import endpoint_test
    from orchestrator.flows.models import LATEST_APPROVED, dataset_group

    commands = _commands(run, manifest)
    if run.options.dry_run:
        for name in ("deploy", "verify"):
            run.step(name, f"would run {commands[name]}")
            run.summary["steps"][name] = {"would_run": commands[name]}
        return
    group = dataset_group(backend, run.config, None)
    run.step("deploy", f"the latest Approved version onto {backend.outputs.endpoint_name}")
    poll, say = run.options.poll, run.progress
    deployed, model = _guard(
        run,
        "deploy",
        lambda: deploy(backend, LATEST_APPROVED, group, poll, say),
        commands["deploy"],
    )
    run.summary["steps"]["deploy"] = {"model": model, **deployed}
    run.step("verify", f"endpoint-test of {model} on its held-out rows")
    settings = run.config.endpoint.test
    result = _guard(
        run,
        "verify",
        lambda: endpoint_test(backend, settings, group, poll, say),
        commands["verify"],
    )
    problems = list(result.problems)
    backed_up = _backed_up_metric(run, folder, manifest, result.model, result.metric)
    if backed_up is not None and abs(result.measured - backed_up) > result.tolerance:
        problems.append(
            f"{result.metric} behind the endpoint is {result.measured:.4f}, the backup recorded "
            f"{backed_up:.4f} for this version (tolerance {result.tolerance})"
        )
    run.summary["steps"]["verify"] = {**result.to_dict(), "backed_up_metric": backed_up,
                                      "compared_with": "the metric the backup recorded for "
                                      "the version (the backup holds no per-row predictions)",
                                      "problems": problems, "passed": not problems}  # fmt: skip
    if problems:
        run.summary["failed_step"], run.summary["resume"] = "verify", commands["verify"]
        raise StepFailed("verify", "; ".join(problems), commands["verify"], run.summary)


def _backed_up_metric(
    run: Recovery, folder: Path, manifest: Manifest, model: str, metric: str
) -> float | None:
    """The metric the backup recorded for the version now serving (``group vN``), found
    through the restore's map of backed-up to restored ARNs."""
    restored = run.summary["steps"]["restore"].get("restored") or {}
    group, _, version = model.rpartition(" v")
    for entry in manifest.groups:
        for name in entry.packages:
            record = read_package(folder, entry.name, name).package
            arn = restored.get(record.arn, "")
            if arn.endswith(f"/{group}/{version}") or arn.lower().endswith(
                f"/{group}/{version}".lower()
            ):
                value = record.metrics.get(metric)
                return float(value) if value is not None else None
    return None
