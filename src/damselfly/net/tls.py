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

The context is built at startup, where a failure is a :class:`TLSConfigError`
(an ``OSError``, so the command line reports it and exits 1 as Redis does
with "Failed to configure TLS"), and again by CONFIG SET of a tls-* option
or ``bind`` while TLS is on (:meth:`TLSListeners.reconfigure`).

The listeners use the same :class:`~damselfly.net.connection.Connection` as
the plain port: asyncio and uvloop call ``connection_made`` only once the
handshake has succeeded, so a client refused by ``tls-auth-clients`` or
``tls-protocols`` never becomes a client, and protected mode is checked
after the handshake, as Redis's clientAcceptHandler does.
"""
from __future__ import annotations

import asyncio
import logging
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
log = logging.getLogger("damselfly")
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


def bind_sockets(bind: str, port: int, backlog: int,
                 reuse: list[socket.socket] | None = None) -> list[socket.socket]:
    """Listening sockets on ``port`` at every ``bind`` address ('-' = may be unavailable).

    Bound here rather than by ``create_server`` so that a context reload can
    start servers on duplicates of the same sockets: no moment without a
    listener, no rebinding. A socket of ``reuse`` already listening on a
    wanted address is kept (a second one could not bind it). Raises OSError
    (Redis's wording) when a required address cannot be bound; the sockets
    made by this call are closed then.
    """
    bound = {sock.getsockname()[:2]: sock for sock in reuse or ()}
    socks: list[socket.socket] = []
    try:
        for raw in bind.split() or ["127.0.0.1"]:
            optional = raw.startswith("-")
            host = raw[1:] if optional else raw
            host = None if host == "*" else ("::" if host == "::*" else host)
            family = socket.AF_INET6 if host and ":" in host else socket.AF_UNSPEC
            try:
                for fam, kind, proto, _, addr in socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, 0,
                                                                    socket.AI_PASSIVE):
                    socks.append(bound[addr[:2]] if addr[:2] in bound else _listen(fam, kind, proto, addr, backlog))
            except OSError as exc:
                if optional:
                    continue
                raise OSError(f"Could not create server TLS listening socket {raw}:{port}: "
                              f"{exc.strerror or exc}") from None
    except OSError:
        for sock in socks:
            if sock not in bound.values():
                sock.close()
        raise
    if not socks:
        raise OSError(f"Could not create server TLS listening socket on port {port}: no address")
    return socks


def _listen(family: int, kind: int, proto: int, addr: Any, backlog: int) -> socket.socket:
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(addr)
        sock.listen(backlog)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class TLSListeners:
    """The tls-port listening sockets and the servers accepting on them with the current context.

    ``start`` at startup raises (the server does not start with a TLS
    configuration it cannot use). ``reconfigure`` is CONFIG SET's apply step
    (Redis's applyTLSPort / applyTlsCfg): the new context is built and the
    new sockets bound before anything changes, so a failure leaves the old
    listeners serving; it returns "" or what failed ("config" or "listen").
    Servers on the new context start on the next loop turn, then the old ones
    close; connections arriving meanwhile wait in the backlog. Connections
    already open keep their session.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, factory: Callable[[], asyncio.Protocol]) -> None:
        self.loop = loop
        self.factory = factory
        self.socks: list[socket.socket] = []
        self.servers: list[Any] = []
        self.where: tuple[str, int] = ("", 0)   # (bind, port) the sockets are bound for
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, config: "Config") -> None:
        ctx = build_server_context(config)
        self.socks = bind_sockets(config.bind, config.tls_port, config.tcp_backlog)
        self.where = (config.bind, config.tls_port)
        try:
            for sock in self.socks:
                self.servers.append(await self.loop.create_server(self.factory, sock=sock.dup(), ssl=ctx))
        except OSError:
            self._close(self.servers, self.socks)
            self.servers, self.socks, self.where = [], [], ("", 0)
            raise

    def reconfigure(self, config: "Config") -> str:
        if not config.tls_port:
            self._switch([], None)
            return ""
        try:
            ctx = build_server_context(config)
        except TLSConfigError as exc:
            log.warning("Failed to configure TLS: %s", exc)
            return "config"
        socks = self.socks
        if not socks or (config.bind, config.tls_port) != self.where:
            try:
                socks = bind_sockets(config.bind, config.tls_port, config.tcp_backlog, self.socks)
            except OSError as exc:
                log.warning("%s", exc)
                return "listen"
            self.where = (config.bind, config.tls_port)
        self._switch(socks, ctx)
        return ""

    def _switch(self, socks: list[socket.socket], ctx: ssl.SSLContext | None) -> None:
        old_servers, old_socks = self.servers, [s for s in self.socks if s not in socks]
        mine: list[Any] = []
        self.servers, self.socks = mine, socks
        if ctx is None:
            self.where = ("", 0)
            self._close(old_servers, old_socks)
            return
        self._tasks = [t for t in self._tasks if not t.done()]
        self._tasks.append(self.loop.create_task(self._serve(socks, ctx, mine, old_servers, old_socks)))

    async def _serve(self, socks: list[socket.socket], ctx: ssl.SSLContext, mine: list[Any],
                     old_servers: list[Any], old_socks: list[socket.socket]) -> None:
        """Servers on duplicates of ``socks`` (the originals stay ours) into ``mine``, then retire the old ones.

        A later reconfigure may replace ``mine`` before this finishes (two
        CONFIG SETs in one loop turn): its servers are then closed here.
        """
        try:
            for sock in socks:
                mine.append(await self.loop.create_server(self.factory, sock=sock.dup(), ssl=ctx))
        except OSError:  # out of file descriptors: what started serves, the rest waits in the backlog
            log.exception("could not serve TLS connections")
        self._close(old_servers, old_socks)
        if self.servers is not mine:
            self._close(mine, [])

    @staticmethod
    def _close(servers: list[Any], socks: list[socket.socket]) -> None:
        for srv in servers:
            srv.close()
        for sock in socks:
            sock.close()

    async def close(self) -> None:
        """Stop listening (server shutdown); open connections are the listener's to close."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        servers = self.servers
        self._close(servers, self.socks)
        self.servers, self.socks, self.where = [], [], ("", 0)
        for srv in servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass
