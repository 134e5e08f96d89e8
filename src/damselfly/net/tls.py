"""TLS for the ``tls-port`` listener: the server's ``ssl.SSLContext`` from the tls-* options.

Follows Redis 7.0's ``tlsConfigure`` so a redis.conf that works with Redis
works here, and one Redis refuses is refused: a certificate and key are
required, and a CA (file or directory) unless ``tls-auth-clients no``;
``tls-protocols`` empty means TLSv1.2 and TLSv1.3; ``tls-ciphers`` empty means
OpenSSL's DEFAULT list (not Python's own default, which is narrower);
``tls-prefer-server-ciphers`` maps to OP_CIPHER_SERVER_PREFERENCE (which
Python turns on by default and Redis does not). Client certificates:
``yes`` requires one (the handshake fails without it), ``optional`` checks one
if presented, ``no`` never asks.

The context is built once at startup; a failure is a :class:`TLSConfigError`
(an ``OSError``, so the command line reports it and exits 1 as Redis does
with "Failed to configure TLS").
"""
from __future__ import annotations

import asyncio
import socket
import ssl
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ..config import Config

# tls-protocols words (case-insensitive, as Redis's strcasecmp) -> ssl.TLSVersion
PROTOCOL_VERSIONS = {
    "tlsv1": ssl.TLSVersion.TLSv1,
    "tlsv1.1": ssl.TLSVersion.TLSv1_1,
    "tlsv1.2": ssl.TLSVersion.TLSv1_2,
    "tlsv1.3": ssl.TLSVersion.TLSv1_3,
}
DEFAULT_PROTOCOLS = ("tlsv1.2", "tlsv1.3")
INVALID_PROTOCOLS = ("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', "
                     "'TLSv1.2' and 'TLSv1.3'.")
_VERIFY = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


class TLSConfigError(OSError):
    """The tls-* options cannot make a working server context (Redis: "Failed to configure TLS")."""


def parse_protocols(text: str) -> tuple[str, ...]:
    """Redis's ``parseProtocolsConfig``: words split on single spaces; empty means the default.

    Raises ValueError with Redis's log text for an unknown word (an empty
    word from a doubled or leading space is unknown too, as in Redis).
    """
    if not text:
        return DEFAULT_PROTOCOLS
    words = tuple(word.lower() for word in text.split(" "))
    for word in words:
        if word not in PROTOCOL_VERSIONS:
            raise ValueError(INVALID_PROTOCOLS)
    return words


def version_range(words: tuple[str, ...]) -> tuple[ssl.TLSVersion, ssl.TLSVersion]:
    """Lowest and highest enabled version (a gap such as "TLSv1 TLSv1.3" is filled in)."""
    versions = sorted(PROTOCOL_VERSIONS[word] for word in words)
    return versions[0], versions[-1]


def build_server_context(config: "Config") -> ssl.SSLContext:
    """A server context for the current tls-* options, or TLSConfigError with Redis's reason."""
    cert, key = config.tls_cert_file, config.tls_key_file
    ca_file, ca_dir = config.tls_ca_cert_file, config.tls_ca_cert_dir
    auth = config.tls_auth_clients
    if not cert:
        raise TLSConfigError("No tls-cert-file configured!")
    if not key:
        raise TLSConfigError("No tls-key-file configured!")
    if auth != "no" and not ca_file and not ca_dir:
        raise TLSConfigError("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when "
                             "tls-cluster, tls-replication or tls-auth-clients are enabled!")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_SINGLE_DH_USE | ssl.OP_SINGLE_ECDH_USE
    ctx.options |= getattr(ssl, "OP_NO_RENEGOTIATION", 0)  # Redis: SSL_OP_NO_CLIENT_RENEGOTIATION
    if config.tls_prefer_server_ciphers:
        ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
    else:
        ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        low, high = version_range(parse_protocols(config.tls_protocols))
    except ValueError as exc:
        raise TLSConfigError(str(exc)) from None
    ctx.minimum_version, ctx.maximum_version = low, high
    try:
        ctx.set_ciphers(config.tls_ciphers or "DEFAULT")
    except ssl.SSLError:
        raise TLSConfigError(f"Failed to configure ciphers: {config.tls_ciphers}") from None
    try:
        # Never OpenSSL's terminal prompt: without tls-key-file-pass an encrypted key fails, as in Redis.
        passphrase = config.tls_key_file_pass.encode()
        ctx.load_cert_chain(cert, key, password=lambda: passphrase)
    except (OSError, ssl.SSLError) as exc:
        raise TLSConfigError(f"Failed to load certificate or private key: {cert}, {key}: {_reason(exc)}") from None
    if ca_file or ca_dir:
        try:
            ctx.load_verify_locations(cafile=ca_file or None, capath=ca_dir or None)
        except (OSError, ssl.SSLError) as exc:
            raise TLSConfigError(f"Failed to configure CA certificate(s) file/directory: {_reason(exc)}") from None
    if config.tls_dh_params_file:
        try:
            ctx.load_dh_params(config.tls_dh_params_file)
        except (OSError, ssl.SSLError) as exc:
            raise TLSConfigError(f"Failed to load {config.tls_dh_params_file}: {_reason(exc)}") from None
    ctx.verify_mode = _VERIFY[auth]
    return ctx


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or getattr(exc, "reason", None) or str(exc)


async def start_tls_servers(config: "Config", loop: asyncio.AbstractEventLoop,
                            factory: Callable[[], asyncio.Protocol]) -> list[Any]:
    """Listen with TLS on ``tls-port`` at every ``bind`` address ('-' = may be unavailable).

    The Connection protocol is the same as on the plain port: asyncio (and
    uvloop) call ``connection_made`` only once the handshake has succeeded, so
    a client refused by ``tls-auth-clients`` never becomes a client, and the
    protected-mode check runs after the handshake as in Redis.
    """
    ctx = build_server_context(config)
    port = config.tls_port
    servers: list[Any] = []
    errors: list[str] = []
    for raw in config.bind.split() or ["127.0.0.1"]:
        optional = raw.startswith("-")
        host = raw[1:] if optional else raw
        host = None if host == "*" else ("::" if host == "::*" else host)
        try:
            srv = await loop.create_server(
                factory, host=host, port=port, backlog=config.tcp_backlog, ssl=ctx, reuse_address=True,
                family=socket.AF_INET6 if host and ":" in host else socket.AF_UNSPEC)
        except OSError as exc:
            if not optional:
                errors.append(f"Could not create server TLS listening socket {raw}:{port}: {exc.strerror or exc}")
            continue
        servers.append(srv)
    if errors or not servers:
        for srv in servers:
            srv.close()
        raise OSError("; ".join(errors) or "no address to listen on for TLS")
    return servers
