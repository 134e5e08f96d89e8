"""Throw-away certificates for the TLS tests, made with the ``openssl`` command-line tool.

One test CA signs a server certificate (for 127.0.0.1 and localhost) and a
client certificate; a second, untrusted CA signs a client certificate the
server must refuse. The server key also exists encrypted (tls-key-file-pass).
"""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

KEY_PASS = "s3cret"


@dataclass(frozen=True)
class Certs:
    dir: Path
    ca: str
    server_cert: str
    server_key: str
    server_key_encrypted: str
    client_cert: str
    client_key: str
    rogue_cert: str   # signed by a CA the server does not trust
    rogue_key: str


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(cwd: Path, name: str) -> None:
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt",
         "-days", "2", "-subj", f"/CN={name}", cwd=cwd)


def _leaf(cwd: Path, name: str, ca: str) -> None:
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
         "-subj", f"/CN={name}", cwd=cwd)
    (cwd / f"{name}.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key", "-CAcreateserial",
         "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext", cwd=cwd)


def available() -> bool:
    return shutil.which("openssl") is not None


def make_certs(directory: Path) -> Certs:
    _ca(directory, "ca")
    _ca(directory, "rogue-ca")
    _leaf(directory, "server", "ca")
    _leaf(directory, "client", "ca")
    _leaf(directory, "rogue", "rogue-ca")
    _run("pkey", "-in", "server.key", "-aes256", "-passout", f"pass:{KEY_PASS}", "-out", "server-enc.key",
         cwd=directory)
    p = lambda name: str(directory / name)  # noqa: E731
    return Certs(directory, p("ca.crt"), p("server.crt"), p("server.key"), p("server-enc.key"),
                 p("client.crt"), p("client.key"), p("rogue.crt"), p("rogue.key"))
