"""The listener: accepts connections, runs the periodic cron, stops cleanly.

The cron is Redis's ``serverCron`` at ``hz`` times a second: active expiry,
idle-client timeouts, the instantaneous-ops sample, and whatever subsystems
registered in ``cron_hooks`` (save points, soft output-buffer limits).
"""
from __future__ import annotations

import asyncio
import logging
import socket
import time
from typing import Any, Callable

from ..state import ServerState
from .connection import Connection
from .tls import TLSListeners

log = logging.getLogger("damselfly")
_perf = time.perf_counter


class Listener:
    """Owns the listening sockets and every live :class:`Connection`."""

    def __init__(self, state: ServerState, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.state = state
        self.loop = loop or asyncio.get_running_loop()
        self.servers: list[asyncio.base_events.Server] = []
        self.tls = TLSListeners(self.loop, self._factory)  # tls-port, beside the plain port
        self.connections: set[Connection] = set()
        self.port = state.config.port
        self.cron_hooks: list[Callable[[], None]] = []
        self._cron_handle: asyncio.TimerHandle | None = None
        self._stopped = asyncio.Event()
        self._tick = 0
        self._rebinding: list[asyncio.Task] = []  # CONFIG SET port/bind: servers being started
        state.extensions["listener"] = self

    # -- connection bookkeeping ----------------------------------------------------
    def connection_opened(self, conn: Connection) -> None:
        self.connections.add(conn)

    def connection_closed(self, conn: Connection) -> None:
        self.connections.discard(conn)

    def _factory(self) -> Connection:
        return Connection(self.state, self.loop, self)

    async def start(self) -> None:
        """Bind every address of ``bind``; '-' marks an address that may be unavailable."""
        cfg = self.state.config
        port = cfg.port
        addrs = cfg.bind.split() or ["127.0.0.1"]
        errors: list[str] = []
        for raw in addrs:
            optional = raw.startswith("-")
            host = raw[1:] if optional else raw
            host = None if host == "*" else ("::" if host == "::*" else host)
            try:
                srv = await self.loop.create_server(
                    self._factory, host=host, port=port, backlog=cfg.tcp_backlog,
                    reuse_address=True, family=socket.AF_INET6 if host and ":" in host else socket.AF_UNSPEC)
            except OSError as exc:
                if optional:
                    continue
                errors.append(f"Could not create server TCP listening socket {raw}:{port}: {exc.strerror or exc}")
                continue
            self.servers.append(srv)
            if port == 0:  # the first bind picked a free port; the others reuse it
                port = srv.sockets[0].getsockname()[1]
        if errors or not self.servers:
            for srv in self.servers:
                srv.close()
            raise OSError("; ".join(errors) or "no address to listen on")
        self.port = port
        self.state.tcp_port = port
        if cfg.tls_port:
            try:
                await self.tls.start(cfg)
            except OSError:
                for srv in self.servers:
                    srv.close()
                raise
        # INFO server gains damselfly's own ``tls_port`` field while TLS is on.
        providers = self.state.extensions.setdefault("info_providers", {})
        providers.setdefault("server", []).append(lambda: [("tls_port", cfg.tls_port)] if cfg.tls_port else [])
        self._schedule_cron()

    def rebind(self, port: int, bind: str) -> bool:
        """CONFIG SET port/bind at runtime: listen on the new addresses, then drop the old listeners.

        As Redis's ``changeListenPort``/``changeBindAddr``: the new sockets are
        bound and listening before CONFIG SET replies, and on any failure they
        are closed and the old listeners keep serving (False). A listener
        already on a wanted address is kept (two sockets cannot listen on the
        same address); open connections are not touched. New sockets are
        handed to the event loop's servers on the next loop turn; connections
        arriving before that wait in the backlog.
        """
        bound = {sock.getsockname()[:2]: srv for srv in self.servers for sock in srv.sockets}
        keep: set[Any] = set()
        socks: list[socket.socket] = []
        try:
            for raw in bind.split() or ["127.0.0.1"]:
                optional = raw.startswith("-")
                host = raw[1:] if optional else raw
                host = None if host == "*" else ("::" if host == "::*" else host)
                try:
                    for family, kind, proto, _, addr in socket.getaddrinfo(
                            host, port, socket.AF_INET6 if host and ":" in host else socket.AF_UNSPEC,
                            socket.SOCK_STREAM, 0, socket.AI_PASSIVE):
                        if addr[:2] in bound:
                            keep.add(bound[addr[:2]])
                            continue
                        sock = socket.socket(family, kind, proto)
                        socks.append(sock)
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                        if family == socket.AF_INET6:
                            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                        sock.bind(addr)
                        sock.listen(self.state.config.tcp_backlog)
                        sock.setblocking(False)
                        if port == 0:  # the first bind picked a free port; the others reuse it
                            port = sock.getsockname()[1]
                except OSError as exc:
                    if not optional:
                        raise
                    log.warning("Could not create server TCP listening socket %s:%d: %s", raw, port, exc)
        except OSError as exc:
            log.warning("Could not create server TCP listening socket %s:%d: %s", bind, port, exc.strerror or exc)
            for sock in socks:
                sock.close()
            return False
        if not socks and not keep:
            return False
        for srv in self.servers:
            if srv not in keep:
                srv.close()
        self.servers = [srv for srv in self.servers if srv in keep]
        self._rebinding = [task for task in self._rebinding if not task.done()]
        for sock in socks:
            self._rebinding.append(self.loop.create_task(self._serve_on(sock)))
        self.port = port
        self.state.tcp_port = port
        return True

    async def _serve_on(self, sock: socket.socket) -> None:
        try:
            srv = await self.loop.create_server(self._factory, sock=sock)
        except Exception:
            sock.close()
            log.exception("could not serve on %s", sock)
            return
        if self._stopped.is_set():
            srv.close()
        else:
            self.servers.append(srv)

    def _schedule_cron(self) -> None:
        self._cron_handle = self.loop.call_later(1.0 / self.state.config.hz, self._cron)

    def _cron(self) -> None:
        state = self.state
        try:
            cfg = state.config
            keyspace = state.keyspace
            monitor = state.extensions.get("latency") if cfg.latency_monitor_threshold else None
            if state.pause_kind:  # Redis expires nothing while clients are paused: the data stays still
                keyspace.refresh_lru_clock()
            elif monitor is not None:  # Redis's expire-cycle event: the whole cycle, in whole ms
                started = _perf()
                keyspace.active_expire_cycle(cfg.active_expire_effort, cfg.hz)
                monitor.add_if_needed(b"expire-cycle", int((_perf() - started) * 1e6) // 1000)
            else:  # up to 25% of this tick (more with active-expire-effort), while due keys remain
                keyspace.active_expire_cycle(cfg.active_expire_effort, cfg.hz)
            self._tick += 1
            if self._tick % max(1, state.config.hz // 10) == 0:
                state.stats.sample_ops()
            timeout = state.config.timeout
            if timeout and self._tick % state.config.hz == 0:
                self._close_idle(timeout)
            for hook in self.cron_hooks:
                hook()
        except Exception:  # the cron must survive a bug in one hook
            log.exception("cron failure")
        if not self._stopped.is_set():
            self._schedule_cron()

    def _close_idle(self, timeout: int) -> None:
        """Redis's ``clientsCronHandleTimeout``: never subscribers, monitors or blocked clients."""
        now = time.monotonic()
        for conn in list(self.connections):
            client = conn.client
            if client is None or client.subscriptions or client.monitor or client.blocked is not None:
                continue
            if now - client.last_interaction > timeout:
                conn.abort()  # freeClient: replies the peer never read are dropped, not waited for

    async def stop(self) -> None:
        """Stop accepting, close every client, stop the cron."""
        self._stopped.set()
        if self._cron_handle is not None:
            self._cron_handle.cancel()
        if self._rebinding:
            await asyncio.gather(*self._rebinding, return_exceptions=True)
        await self.tls.close()
        for srv in self.servers:
            srv.close()
        for conn in list(self.connections):
            conn.close("shutdown")
        for srv in self.servers:
            try:
                await asyncio.wait_for(srv.wait_closed(), 1.0)
            except (asyncio.TimeoutError, Exception):
                pass
        self.servers.clear()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    def request_stop(self) -> None:
        self._stopped.set()

    def kill_client(self, client_id: int) -> bool:
        for conn in self.connections:
            if conn.client is not None and conn.client.id == client_id:
                conn.close("killed")
                return True
        return False

    def connection_for(self, client_id: int) -> Any:
        for conn in self.connections:
            if conn.client is not None and conn.client.id == client_id:
                return conn
        return None
