"""Running the image as SageMaker does: root-owned host directories mounted under /opt/ml, the
training config files SageMaker writes, and ``<engine> run`` without network for jobs.

SageMaker's formats (https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html):
``hyperparameters.json`` maps names to *string* values; ``inputdataconfig.json`` maps each
channel to its ``ContentType`` (when the channel has one), ``TrainingInputMode``,
``S3DistributionType`` and ``RecordWrapperType``; ``resourceconfig.json`` names the hosts
(https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-running-container.html#your-algorithms-training-algo-running-container-dist-training).
Processing jobs mount each ProcessingInput/ProcessingOutput ``LocalPath`` below
``/opt/ml/processing`` (orchestrator/pipeline/preprocess.py, evaluate.py).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = (0, 0)
USER_1000 = (1000, 1000)
PREPROCESS_OUTPUTS = ("train", "validation", "test", "transform", "batch", "report")
TRAINING_CHANNELS = ("train", "validation", "transform")
HYPERPARAMETERS = {  # as SageMaker writes them: every value a string, the tuner's key included
    "num_round": "80",
    "max_depth": "4",
    "eta": "0.3",
    "early_stopping_rounds": "10",
    "_tuning_objective_metric": "validation:auc",
}
JOB_TIMEOUT_S = 300


@dataclass(frozen=True)
class ContainerRun:
    command: list[str]
    returncode: int
    stdout: str
    stderr: str

    def check(self) -> ContainerRun:
        assert self.returncode == 0, (
            f"{' '.join(self.command)} exited {self.returncode}\n"
            f"stdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"
        )
        return self


@dataclass(frozen=True)
class ImageRunner:
    executable: str
    tag: str
    network: Sequence[str] = field(default=("--network", "none"))

    def command(
        self,
        args: Sequence[str],
        mounts: Mapping[Path, str],
        env: Mapping[str, str] | None = None,
        user: tuple[int, int] | None = None,
        options: Sequence[str] = (),
    ) -> list[str]:
        command = [self.executable, "run", *options]
        if user is not None:
            command += ["--user", f"{user[0]}:{user[1]}"]
        for host, container in mounts.items():
            command += ["-v", f"{host}:{container}"]
        for key, value in (env or {}).items():
            command += ["-e", f"{key}={value}"]
        return [*command, self.tag, *args]

    def run(
        self,
        args: Sequence[str],
        mounts: Mapping[Path, str],
        env: Mapping[str, str] | None = None,
        user: tuple[int, int] | None = None,
    ) -> ContainerRun:
        """One job: ``<engine> run --rm --network none``, waited for."""
        command = self.command(args, mounts, env, user, ["--rm", *self.network])
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=JOB_TIMEOUT_S, check=False
        )
        return ContainerRun(command, done.returncode, done.stdout, done.stderr)


def sagemaker_dir(path: Path, owner: tuple[int, int] = ROOT) -> Path:
    """A directory as SageMaker mounts it: owned by ``owner`` (root there), mode 755."""
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, *owner)
    path.chmod(0o755)
    return path


def place_file(source: Path, directory: Path, name: str, owner: tuple[int, int] = ROOT) -> Path:
    """Copy ``source`` into ``directory`` as a downloaded input: ``owner``'s, mode 644."""
    target = directory / name
    shutil.copyfile(source, target)
    os.chown(target, *owner)
    target.chmod(0o644)
    return target


def assert_mounted_as_sagemaker(mounts: Mapping[Path, str], owner: tuple[int, int]) -> None:
    for host in mounts:
        info = host.stat()
        assert (info.st_uid, info.st_gid) == owner, f"{host} is not owned by {owner}"
        assert stat.S_IMODE(info.st_mode) == 0o755, f"{host} has mode {info.st_mode:o}"


def processing_mounts(
    job: Path, demo: Path, owner: tuple[int, int] = ROOT
) -> tuple[dict[Path, str], Path]:
    """The preprocess job's mounts (inputs data and schema, one output per ProcessingOutput,
    /opt/ml/output for the exit message) and the host folder holding the outputs."""
    data = sagemaker_dir(job / "input" / "data", owner)
    schema = sagemaker_dir(job / "input" / "schema", owner)
    place_file(demo / "breast_cancer.csv", data, "breast_cancer.csv", owner)
    place_file(demo / "schema.yaml", schema, "schema.yaml", owner)
    mounts = {
        data: "/opt/ml/processing/input/data",
        schema: "/opt/ml/processing/input/schema",
        sagemaker_dir(job / "output-message", owner): "/opt/ml/output",
    }
    for name in PREPROCESS_OUTPUTS:
        mounts[sagemaker_dir(job / "output" / name, owner)] = f"/opt/ml/processing/output/{name}"
    assert_mounted_as_sagemaker(mounts, owner)
    return mounts, job / "output"


def _write_config(directory: Path, name: str, content: object) -> None:
    path = directory / name
    path.write_text(json.dumps(content, indent=2))
    path.chmod(0o644)


def lay_out_training_job(opt_ml: Path, preprocess_outputs: Path) -> Path:
    """/opt/ml of a training job (a trial of the pipeline's tuning step) as SageMaker lays it out,
    root-owned: config files, one directory per channel, empty model/ and output/."""
    config = sagemaker_dir(opt_ml / "input" / "config")
    _write_config(config, "hyperparameters.json", HYPERPARAMETERS)
    channels = {}
    for channel in TRAINING_CHANNELS:
        channels[channel] = {
            **({"ContentType": "text/csv"} if channel != "transform" else {}),
            "TrainingInputMode": "File",
            "S3DistributionType": "FullyReplicated",
            "RecordWrapperType": "None",
        }
        target = sagemaker_dir(opt_ml / "input" / "data" / channel)
        for source in sorted((preprocess_outputs / channel).iterdir()):
            place_file(source, target, source.name)
    _write_config(config, "inputdataconfig.json", channels)
    group = {"instance_group_name": "homogeneousCluster", "instance_type": "ml.m5.large",
             "hosts": ["algo-1"]}  # fmt: skip
    resources = {
        "current_host": "algo-1",
        "current_instance_type": "ml.m5.large",
        "current_group_name": "homogeneousCluster",
        "hosts": ["algo-1"],
        "instance_groups": [group],
        "network_interface_name": "eth0",
    }
    _write_config(config, "resourceconfig.json", resources)
    for directory in ("model", "output", "output/data", "input", "input/data", ""):
        sagemaker_dir(opt_ml / directory)
    return opt_ml
