"""``tillclub keys``: the Ed25519 key pair that signs (server) and verifies (agents) phone QRs."""

from __future__ import annotations

import os
from pathlib import Path

import click
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_NAME = "qr-signing-key.pem"
PUBLIC_NAME = "qr-public-key.pem"


@click.group(name="keys")
def command() -> None:
    """Key pairs for phone QR codes."""


@command.command("generate")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing key pair.")
def generate(directory: Path, force: bool) -> None:
    """Write a new Ed25519 key pair into DIRECTORY (private key with mode 0600).

    The private key stays on the server; copy only the public key to the agents.
    """
    private_path, public_path = directory / PRIVATE_NAME, directory / PUBLIC_NAME
    if not force and (private_path.exists() or public_path.exists()):
        raise click.ClickException(
            f"{private_path} or {public_path} already exists; use --force to replace them "
            "(every phone QR signed with the old key stops working)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Created with 0600 from the start: a chmod after writing would leave a window.
    if private_path.exists():
        private_path.unlink()
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(private_pem)
    public_path.write_bytes(public_pem)
    click.echo(f"private key: {private_path} (mode 0600, keep it on the server only)")
    click.echo(f"public key:  {public_path} (copy to every agent)")
