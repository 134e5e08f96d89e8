"""The server's ACL state: users by name, the default user, the log, the ACL file.

One :class:`Acl` per server, at ``server.extensions["acl"]``. Every client
holds a reference to its :class:`~.users.User` (``client.acl_user``); users
are modified in place so those references stay valid. ``requirepass`` is
the default user's password, as in Redis: setting it (config file or CONFIG
SET) resets the default user's passwords to that one, or to ``nopass`` when
empty.
"""
from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from .log import AclLog, LogEntry
from .users import AclRuleError, CommandIndex, User, default_user, has_spaces, merge_selector_args

log = logging.getLogger("damselfly")

if TYPE_CHECKING:  # pragma: no cover
    from ..client import Client
    from ..state import ServerState

NO_ACLFILE = ("ERR This Redis instance is not configured to use an ACL file. You may want to specify users "
              "via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis "
              "configuration file set) in order to store users in the Redis configuration.")


class AclFileError(Exception):
    """ACL LOAD (or startup) found errors; the message is Redis's, without the ERR prefix."""


class AclStartupError(RuntimeError):
    """The ACL configuration stops startup, as Redis exits on it (the message is Redis's log line)."""


class Acl:
    """Users, the default user, the ACL log."""

    def __init__(self, server: "ServerState") -> None:
        self.server = server
        self._index: CommandIndex | None = None
        self.log = AclLog()
        self.default = default_user(self.index)
        self.users: dict[bytes, User] = {b"default": self.default}

    @property
    def index(self) -> CommandIndex:
        if self._index is None:
            from ..commands import build_table
            self._index = CommandIndex(self.server.table or build_table())
        return self._index

    @property
    def pubsub_default_all(self) -> bool:
        return self.server.config.acl_pubsub_default == "allchannels"

    def new_user(self, name: str) -> User:
        return User(name, allchannels=self.pubsub_default_all)

    def get_user(self, name: bytes) -> User | None:
        return self.users.get(name)

    def auth_required(self) -> bool:
        """Redis's ``authRequired`` without the client: the default user needs a password or is off."""
        return not self.default.nopass or not self.default.enabled

    # -- requirepass -----------------------------------------------------------------

    def set_requirepass(self, password: str) -> None:
        """Redis's ``ACLUpdateDefaultUserPassword``."""
        index = self.index
        self.default.apply(b"resetpass", index)
        if password:
            self.default.apply(b">" + password.encode("utf-8", "surrogateescape"), index)
        else:
            self.default.apply(b"nopass", index)

    def on_config(self, name: str, value: Any) -> None:
        if name == "requirepass":
            self.set_requirepass(value)

    # -- authentication --------------------------------------------------------------

    def authenticate(self, client: "Client", username: bytes, password: bytes, command: bytes) -> bool:
        """Log the client in as ``username``, or log the failure (object: the command as typed)."""
        user = self.users.get(username)
        if user is not None and user.check_password(password):
            client.authenticated = True
            client.acl_user = user
            client.user = user.name_bytes.decode("utf-8", "replace")  # CLIENT LIST text
            return True
        self.log_denial(client, "auth", command, username)
        return False

    def log_denial(self, client: "Client", reason: str, obj: bytes, username: bytes) -> None:
        from ..commands.client_list import info_line
        context = "multi" if client.multi is not None or client.in_exec else "toplevel"
        entry = LogEntry(reason, context, obj, username, info_line(client), AclLog.now_ms())
        self.log.add(entry, self.server.config.acllog_max_len)

    # -- changing users --------------------------------------------------------------

    def set_user(self, client: "Client | None", name: bytes, rules: list[bytes]) -> None:
        """ACL SETUSER: all rules apply, or none (raises :class:`AclRuleError` with the rule)."""
        existing = self.users.get(name)
        temp = existing.copy() if existing is not None else self.new_user(name.decode("utf-8", "surrogateescape"))
        index = self.index
        for rule in rules:
            try:
                temp.apply(rule, index, self.pubsub_default_all)
            except AclRuleError as err:
                raise AclRuleError(rule, str(err)) from None
        if existing is not None:
            self.kill_pubsub_clients_if_needed(client, temp, existing)
            existing.copy_from(temp)
        else:
            self.users[name] = temp

    def delete_user(self, client: "Client", name: bytes) -> bool:
        user = self.users.pop(name, None)
        if user is None:
            return False
        self.kill_clients_of(client, user)
        return True

    def kill_clients_of(self, current: "Client | None", user: User) -> None:
        """Redis's ``ACLFreeUserAndKillClients``: back to the default user, unauthenticated, closed."""
        for other in list(self.server.clients.values()):
            if other.acl_user is not user:
                continue
            other.acl_user = self.default
            other.user = "default"
            other.authenticated = False
            _close(current, other)

    def kill_pubsub_clients_if_needed(self, current: "Client | None", new: User, original: User) -> None:
        """Redis's ``ACLKillPubsubClientsIfNeeded``: close subscribers whose channels were revoked."""
        if new.allchannels or any(sel.allchannels for sel in new.selectors):
            return
        upcoming = new.channels + [c for sel in new.selectors for c in sel.channels]
        before = original.channels + [c for sel in original.selectors for c in sel.channels]
        if all(c in upcoming for c in before):
            return  # as in Redis 7.0, a user that had allchannels has an empty list here: no kill
        from .checker import channel_allowed
        for other in list(self.server.clients.values()):
            if other.acl_user is not original or not other.subscriptions:
                continue
            kill = any(not channel_allowed(upcoming, p, True) for p in other.patterns)
            kill = kill or any(not channel_allowed(upcoming, c, False) for c in other.channels)
            kill = kill or any(not channel_allowed(upcoming, c, False) for c in other.shard_channels)
            if kill:
                _close(current, other)

    # -- the ACL file ----------------------------------------------------------------

    def load_file(self, current: "Client | None" = None) -> None:
        """ACL LOAD: replace every user from ``aclfile``, or change nothing on any error."""
        filename = self.server.config.aclfile
        try:
            with open(filename, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise AclFileError(f"Error loading ACLs, opening file '{filename}': {exc.strerror}") from None
        errors: list[str] = []
        users: dict[bytes, User] = {}
        index = self.index
        for lineno, raw in enumerate(data.split(b"\n"), 1):
            line = raw.strip(b" \t\r\n")
            if not line:
                continue
            argv = line.split(b" ")
            if argv[0] != b"user" or len(argv) < 2:
                errors.append(f"{filename}:{lineno} should start with user keyword followed by the username. ")
                continue
            name = argv[1]
            if has_spaces(name):
                errors.append(f"'{filename}:{lineno}: username '{name.decode('utf-8', 'replace')}' "
                              "contains invalid characters. ")
                continue
            if name in users:
                errors.append(f"WARNING: Duplicate user '{name.decode('utf-8', 'replace')}' found on line {lineno}. ")
                continue
            user = self.new_user(name.decode("utf-8", "surrogateescape"))
            users[name] = user
            rules = merge_selector_args(argv[2:])
            if isinstance(rules, int):
                errors.append(f"{filename}:{lineno}: Unmatched parenthesis in selector definition.")
                continue
            for rule in rules:
                rule = rule.strip(b"\t\r\n")
                try:
                    user.apply(rule, index, self.pubsub_default_all)
                except AclRuleError as err:
                    if str(err) == "Unknown command or category name in ACL":
                        errors.append(f"{filename}:{lineno}: Error in applying operation "
                                      f"'{rule.decode('utf-8', 'replace')}': {err}. ")
                    else:
                        errors.append(f"{filename}:{lineno}: {err}. ")
        if errors:
            raise AclFileError("".join(errors) + "WARNING: ACL errors detected, no change to the previously "
                               "active ACL rules was performed")
        new_default = users.pop(b"default", None) or default_user(index)
        old = self.users
        self.default.copy_from(new_default)
        users[b"default"] = self.default
        self.users = users
        for name, user in old.items():
            if name != b"default":
                self.kill_clients_of(current, user)

    def save_file(self) -> bool:
        """ACL SAVE: every user as ``user NAME rules``, sorted by name, written atomically."""
        filename = self.server.config.aclfile
        index = self.index
        text = "".join(f"user {self.users[name].name} {self.users[name].describe(index)}\n"
                       for name in sorted(self.users))
        tmp = f"{filename}.tmp-{os.getpid()}"
        step = "Opening temp ACL file for ACL SAVE"  # Redis's ACLSaveToFile log lines, one per step
        try:
            with open(tmp, "w", encoding="utf-8", errors="surrogateescape") as fh:
                step = "Writing ACL file for ACL SAVE"
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            step = "Renaming ACL file for ACL SAVE"
            os.replace(tmp, filename)
        except OSError as exc:
            log.warning("%s: %s", step, exc.strerror or exc)
            try:
                os.unlink(tmp)
            except OSError:
                pass
            return False
        return True


def _close(current: "Client | None", other: "Client") -> None:
    if other is current:
        other.close_after_reply = True
    elif other.outbox is not None:
        other.outbox.close("acl")


def load_configured_users(acl: Acl, lines: list[str]) -> None:
    """``user NAME rules...`` lines of the config file (Redis's ``ACLLoadConfiguredUsers``).

    A line for ``default`` resets the default user first. Any error stops
    startup, with Redis's texts.
    """
    seen: set[bytes] = set()
    index = acl.index
    for line in lines:
        words = line.encode("utf-8", "surrogateescape").split(b" ")
        name = words[0]
        shown = name.decode("utf-8", "replace")
        if name in seen:
            raise AclStartupError(f"Error in user declaration '{shown}': Duplicate user found. A user can only "
                                  "be defined once in config files")
        seen.add(name)
        rules = merge_selector_args(words[1:])
        if isinstance(rules, int):
            raise AclStartupError(f"Error in user declaration '{shown}': Unmatched parenthesis in selector "
                                  "definition")
        if name == b"default":
            user = acl.default
            user.apply(b"reset", index, acl.pubsub_default_all)
        else:
            user = acl.users.setdefault(name, acl.new_user(name.decode("utf-8", "surrogateescape")))
        for rule in rules:
            try:
                user.apply(rule, index, acl.pubsub_default_all)
            except AclRuleError as err:
                raise AclStartupError(f"Error loading ACL rule '{rule.decode('utf-8', 'replace')}' for the user "
                                      f"named '{shown}': {err}") from None


def install(state: "ServerState") -> None:
    """Create the ACL state, apply ``requirepass``, then load the config file's users or ``aclfile``."""
    acl = Acl(state)
    state.extensions["acl"] = acl
    if state.config.requirepass:
        acl.set_requirepass(state.config.requirepass)
    state.config.listeners.append(acl.on_config)
    extra = getattr(state.config, "extra_directives", None)
    if extra is not None:
        extra["user"] = lambda: config_lines(acl)
    users = getattr(state.config, "acl_users", [])
    if users and state.config.aclfile:
        raise AclStartupError(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is "
            "invalid. This setup is very likely to lead to configuration errors and security holes, please "
            "define either an ACL file or declare users directly in your redis.conf, but not both.")
    load_configured_users(acl, users)
    if state.config.aclfile:
        try:
            acl.load_file()
        except AclFileError as exc:
            raise AclStartupError(f"Aborting Redis startup because of ACL errors: {exc}") from None


def config_lines(acl: Acl) -> list[str]:
    """CONFIG REWRITE's ``user`` lines (Redis's ``rewriteConfigUserOption``): every user, or none with an aclfile."""
    if acl.server.config.aclfile:
        return []
    index = acl.index
    return [f"user {acl.users[name].name} {acl.users[name].describe(index)}" for name in sorted(acl.users)]
