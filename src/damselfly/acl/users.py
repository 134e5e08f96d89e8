"""ACL users: rules (Redis's ACL SETUSER language), passwords, descriptions.

A :class:`User` holds what Redis 7.0 keeps in a user's root selector: the set
of allowed commands (Redis's command bitmap, here a set of specs), allowed
first arguments (``+select|0``), key patterns with read/write permissions and
channel patterns. Redis 7 selectors ``(...)`` are further :class:`User`
objects used only for those selector fields: a command runs when the root
permissions or any selector allow it.

Commands are resolved through a :class:`CommandIndex` built once per command
table: lookups by ACL name (``get``, ``client|list``), the members of each
category, and the order used to describe a user. Applying ``+cmd`` to a
container also applies it to its subcommands, and a category applies to its
member containers' subcommands too, as ``ACLChangeSelectorPerm`` does.

Passwords are stored as SHA-256 hex digests, as Redis stores them.

Users are changed by copying, applying every rule to the copy and, when all
rules were valid, copying the result back into the user object, so clients
that hold a reference to the user see the new rules (Redis's ``ACLCopyUser``).
"""
from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING, Any, Iterable

from ..commands.introspection import CATEGORY_ORDER, categories

if TYPE_CHECKING:  # pragma: no cover
    from ..commands.registry import CommandTable

READ = 1
WRITE = 2
ALL_PERMS = READ | WRITE

_SPACES = frozenset(b" \t\n\r\x0b\x0c\x00")


class AclRuleError(ValueError):
    """A rule ACL SETUSER rejects; ``str(err)`` is Redis's description of the problem."""


E_SYNTAX = "Syntax error"
E_UNKNOWN = "Unknown command or category name in ACL"
E_ALLKEYS = ("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not "
             "have any effect. Try 'resetkeys' to start with an empty list of patterns")
E_ALLCHANNELS = ("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and "
                 "does not have any effect. Try 'resetchannels' to start with an empty list of channels")
E_NOPASS = "The password you are trying to remove from the user does not exist"
E_HASH = ("The password hash must be exactly 64 characters and contain only lowercase hexadecimal "
          "characters")
E_FIRSTARG_SUB = "Allowing first-arg of a subcommand is not supported"


def hash_password(password: bytes) -> str:
    return hashlib.sha256(password).hexdigest()


def has_spaces(text: bytes) -> bool:
    """Redis's ``ACLStringHasSpaces``: usernames and patterns may not contain these."""
    return any(c in _SPACES for c in text)


def _rule_digest(op: bytes) -> str:
    """The SHA-256 hex digest a password rule names: ``>pw``/``<pw`` hash the password,
    ``#hex``/``!hex`` give the digest itself (checked, as Redis's ``ACLSetUser``)."""
    if op[:1] in (b">", b"<"):
        return hash_password(op[1:])
    if not _valid_hash(op[1:]):
        raise AclRuleError(E_HASH)
    return op[1:].decode()


def _valid_hash(text: bytes) -> bool:
    return len(text) == 64 and all(c in b"0123456789abcdef" for c in text)


class PhantomCommand:
    """A Redis command damselfly does not implement: ACL rules may still name it.

    Redis 7.0.15's commands and categories come from :mod:`.redis_commands`;
    keeping them in the index lets an ACL file written for Redis load here
    (``-eval``), and makes the category counts of user descriptions Redis's.
    Such a command never runs: it stays unknown to the dispatcher.
    """

    __slots__ = ("full_name", "parent", "subcommands", "__weakref__")

    def __init__(self, full_name: str, parent: "Any" = None) -> None:
        self.full_name = full_name
        self.parent = parent
        self.subcommands: dict[bytes, Any] = {}


class CommandIndex:
    """ACL's view of a command table plus Redis's other commands: names, categories, order."""

    def __init__(self, table: "CommandTable") -> None:
        from .redis_commands import COMMANDS
        self.table = table
        self.ordered: list[Any] = []
        self.members: dict[str, set[Any]] = {c: set() for c in CATEGORY_ORDER}
        self.effect: dict[str, set[Any]] = {c: set() for c in CATEGORY_ORDER}
        self.implemented: set[Any] = set()
        self._phantoms: dict[bytes, PhantomCommand] = {}
        self._family: dict[Any, tuple[Any, ...]] = {}
        seen: set[str] = set()
        rows = list(COMMANDS)
        known = {row[0] for row in rows}
        rows.extend((spec.name, tuple(categories(spec)),
                     tuple((sub.full_name, tuple(categories(sub))) for sub in spec.subcommands.values()))
                    for spec in table if spec.name not in known)
        for name, cats, subs in rows:
            top = table.get(name.encode())
            if top is None:
                top = self._phantom(name, None)
            family = [top]
            self._add(top, top.full_name, cats, seen)
            for full, sub_cats in subs:
                sub = top.subcommands.get(full.split("|", 1)[1].encode()) if top.subcommands else None
                if sub is None:
                    sub = self._phantom(full, top)
                    if isinstance(top, PhantomCommand):
                        top.subcommands[full.split("|", 1)[1].encode()] = sub
                family.append(sub)
                self._add(sub, full, sub_cats, seen)
            self._family[top] = tuple(family)
            for cat in set(cats) & set(self.effect):
                self.effect[cat].update(family)
            for member in family[1:]:
                self._family[member] = (member,)
                for cat in set(_cats_of(member, subs)) & set(self.effect):
                    self.effect[cat].add(member)
        self.all = frozenset(self.ordered)

    def _phantom(self, full_name: str, parent: Any) -> PhantomCommand:
        phantom = PhantomCommand(full_name, parent)
        self._phantoms[full_name.encode()] = phantom
        return phantom

    def _add(self, spec: Any, full_name: str, cats: tuple[str, ...], seen: set[str]) -> None:
        if full_name in seen:
            return
        seen.add(full_name)
        self.ordered.append(spec)
        if not isinstance(spec, PhantomCommand):
            self.implemented.add(spec)
            cats = tuple(categories(spec))
        for cat in cats:
            if cat in self.members:
                self.members[cat].add(spec)

    def family(self, spec: Any) -> tuple[Any, ...]:
        """A command and its subcommands (Redis's, implemented or not): what ``+cmd``/``-cmd`` changes."""
        return self._family.get(spec, (spec,))

    def lookup(self, name: bytes) -> Any:
        """Redis's ``ACLLookupCommand``: ``cmd`` or ``container|sub``, nothing deeper."""
        parts = name.split(b"|")
        if len(parts) > 2 or not parts[0]:
            return None
        spec = self.table.get(parts[0])
        if spec is not None and len(parts) == 2 and spec.subcommands:
            sub = spec.subcommands.get(parts[1].lower())
            if sub is not None:
                return sub
        elif spec is not None and len(parts) == 1:
            return spec
        return self._phantoms.get(name.lower())

    def category(self, name: bytes) -> str | None:
        low = name.decode("latin-1").lower()
        return low if low in self.members else None


def _cats_of(member: Any, subs: tuple[tuple[str, tuple[str, ...]], ...]) -> tuple[str, ...]:
    if not isinstance(member, PhantomCommand):
        return tuple(categories(member))
    for full, cats in subs:
        if full == member.full_name:
            return cats
    return ()


class User:
    """One ACL user (Redis's ``user`` with its root selector)."""

    __slots__ = ("name", "enabled", "nopass", "sanitize", "passwords", "allowed", "future",
                 "allcommands", "firstargs", "allkeys", "keys", "allchannels", "channels",
                 "unrestricted", "selectors", "__weakref__")

    def __init__(self, name: str, allchannels: bool = False) -> None:
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize = ""  # "", "sanitize-payload" or "skip-sanitize-payload"
        self.passwords: list[str] = []
        self.allowed: set[Any] = set()  # CommandSpec or PhantomCommand (Redis commands damselfly lacks)
        self.future = False  # Redis's reserved bit: set by +@all, kept by everything but -@all
        self.allcommands = False  # cleared by any rule that removes a command
        self.firstargs: dict[Any, list[bytes]] = {}
        self.allkeys = False
        self.keys: list[list] = []  # [pattern, perm] in the order added
        self.allchannels = allchannels  # acl-pubsub-default
        self.channels: list[bytes] = []
        self.unrestricted = False
        self.selectors: list["User"] = []  # Redis 7 selectors beyond the root one

    @property
    def name_bytes(self) -> bytes:
        """The name as given (names are bytes in Redis; ``name`` keeps them with surrogateescape)."""
        return self.name.encode("utf-8", "surrogateescape")

    # -- copying ---------------------------------------------------------------------

    def copy(self, name: str | None = None) -> "User":
        other = User(self.name if name is None else name)
        other.copy_from(self)
        return other

    def copy_from(self, src: "User") -> None:
        """Take every rule of ``src`` (the name stays): Redis's ``ACLCopyUser``."""
        self.enabled = src.enabled
        self.nopass = src.nopass
        self.sanitize = src.sanitize
        self.passwords = list(src.passwords)
        self.allowed = set(src.allowed)
        self.future = src.future
        self.allcommands = src.allcommands
        self.firstargs = {k: list(v) for k, v in src.firstargs.items()}
        self.allkeys = src.allkeys
        self.keys = [list(k) for k in src.keys]
        self.allchannels = src.allchannels
        self.channels = list(src.channels)
        self.selectors = [sel.copy() for sel in src.selectors]
        self.refresh()

    def refresh(self) -> None:
        """Recompute the dispatcher's fast-path flag: may this user run anything at all?"""
        self.unrestricted = self.allcommands and self.allkeys and self.allchannels

    # -- authentication --------------------------------------------------------------

    def check_password(self, password: bytes) -> bool:
        if not self.enabled:
            return False
        if self.nopass:
            return True
        digest = hash_password(password)
        ok = False
        for stored in self.passwords:
            ok |= hmac.compare_digest(stored, digest)
        return ok

    # -- rules -----------------------------------------------------------------------

    def apply_all(self, rules: Iterable[bytes], index: CommandIndex, pubsub_default_all: bool) -> None:
        for rule in rules:
            self.apply(rule, index, pubsub_default_all)

    def apply(self, op: bytes, index: CommandIndex, pubsub_default_all: bool = False) -> None:
        """One rule of ACL SETUSER (Redis's ``ACLSetUser``); raises :class:`AclRuleError`."""
        try:
            self._apply(op, index, pubsub_default_all)
        finally:
            self.refresh()

    def _apply(self, op: bytes, index: CommandIndex, pubsub_default_all: bool) -> None:
        if not op:
            return
        low = op.lower()
        if low == b"on":
            self.enabled = True
        elif low == b"off":
            self.enabled = False
        elif low == b"skip-sanitize-payload":
            self.sanitize = "skip-sanitize-payload"
        elif low == b"sanitize-payload":
            self.sanitize = "sanitize-payload"
        elif low == b"nopass":
            self.nopass = True
            self.passwords.clear()
        elif low == b"resetpass":
            self.nopass = False
            self.passwords.clear()
        elif op[:1] in (b">", b"#"):
            digest = _rule_digest(op)
            if digest not in self.passwords:
                self.passwords.append(digest)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            digest = _rule_digest(op)
            if digest not in self.passwords:
                raise AclRuleError(E_NOPASS)
            self.passwords.remove(digest)
        elif op[:1] == b"(" and op[-1:] == b")":
            self.selectors.append(_selector(op, index, pubsub_default_all))
        elif low == b"clearselectors":
            self.selectors.clear()
        elif low == b"reset":
            self._apply(b"resetpass", index, pubsub_default_all)
            self._apply(b"resetkeys", index, pubsub_default_all)
            self._apply(b"resetchannels", index, pubsub_default_all)
            if pubsub_default_all:
                self._apply(b"allchannels", index, pubsub_default_all)
            self.enabled = False
            self.sanitize = "sanitize-payload"
            self.selectors.clear()
            self._apply(b"-@all", index, pubsub_default_all)
        else:
            self._apply_selector(op, low, index)

    def _apply_selector(self, op: bytes, low: bytes, index: CommandIndex) -> None:
        """Rules about commands, keys and channels (Redis's ``ACLSetSelector``)."""
        if low in (b"allkeys", b"~*"):
            self.allkeys = True
            self.keys.clear()
        elif low == b"resetkeys":
            self.allkeys = False
            self.keys.clear()
        elif low in (b"allchannels", b"&*"):
            self.allchannels = True
            self.channels.clear()
        elif low == b"resetchannels":
            self.allchannels = False
            self.channels.clear()
        elif low in (b"allcommands", b"+@all"):
            self.allowed = set(index.all)
            self.future = True
            self.allcommands = True
            self.firstargs.clear()
        elif low in (b"nocommands", b"-@all"):
            self.allowed = set()
            self.future = False
            self.allcommands = False
            self.firstargs.clear()
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.allchannels:
                raise AclRuleError(E_ALLCHANNELS)
            pattern = op[1:]
            if has_spaces(pattern):
                raise AclRuleError(E_SYNTAX)
            if pattern not in self.channels:
                self.channels.append(pattern)
            self.allchannels = False
        elif op[:2] in (b"+@", b"-@"):
            cat = index.category(op[2:])
            if cat is None:
                raise AclRuleError(E_UNKNOWN)
            self._change(index.effect[cat], op[:1] == b"+")
        elif op[:1] == b"+":
            self._allow(op[1:], index)
        elif op[:1] == b"-":
            spec = index.lookup(op[1:])
            if spec is None:
                raise AclRuleError(E_UNKNOWN)
            self._change(index.family(spec), False)
            self.firstargs.pop(spec, None)
        else:
            raise AclRuleError(E_SYNTAX)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.allkeys:
            raise AclRuleError(E_ALLKEYS)
        perm = 0
        offset = 1
        if op[:1] == b"%":
            while offset < len(op):
                c = op[offset:offset + 1].upper()
                if c == b"R" and not perm & READ:
                    perm |= READ
                elif c == b"W" and not perm & WRITE:
                    perm |= WRITE
                elif c == b"~":
                    offset += 1
                    break
                else:
                    raise AclRuleError(E_SYNTAX)
                offset += 1
            if not perm:
                raise AclRuleError(E_SYNTAX)
        else:
            perm = ALL_PERMS
        pattern = op[offset:]
        if has_spaces(pattern):
            raise AclRuleError(E_SYNTAX)
        for entry in self.keys:
            if entry[0] == pattern:
                entry[1] |= perm
                break
        else:
            self.keys.append([pattern, perm])
        self.allkeys = False

    def _allow(self, name: bytes, index: CommandIndex) -> None:
        if b"|" not in name:
            spec = index.lookup(name)
            if spec is None:
                raise AclRuleError(E_UNKNOWN)
            self._change(index.family(spec), True)
            self.firstargs.pop(spec, None)
            return
        head, _, sub = name.rpartition(b"|")
        spec = index.lookup(head)
        if spec is None:
            raise AclRuleError(E_UNKNOWN)
        if spec.parent is not None:
            raise AclRuleError(E_FIRSTARG_SUB)
        if not sub:
            raise AclRuleError(E_SYNTAX)
        if spec.subcommands:
            sub_spec = index.lookup(name)
            if sub_spec is None:
                raise AclRuleError(E_UNKNOWN)
            self._change(index.family(sub_spec), True)
            self.firstargs.pop(sub_spec, None)
            return
        allowed = self.firstargs.setdefault(spec, [])
        if sub.lower() not in (a.lower() for a in allowed):
            allowed.append(sub)

    def _change(self, specs: Iterable[Any], allow: bool) -> None:
        """Set or clear command bits; clearing any bit drops ``allcommands`` as in Redis.

        Any change to a command, by name or by category, forgets its allowed
        first arguments (Redis's ``ACLChangeSelectorPerm``).
        """
        specs = tuple(specs)
        if self.firstargs:
            for spec in specs:
                self.firstargs.pop(spec, None)
        if allow:
            self.allowed.update(specs)
        else:
            self.allowed.difference_update(specs)
            self.allcommands = False

    # -- descriptions ----------------------------------------------------------------

    def flags(self) -> list[str]:
        """Flags in Redis's order (ACLUserFlags): on/off, nopass, sanitize flags."""
        out = ["on" if self.enabled else "off"]
        if self.nopass:
            out.append("nopass")
        if self.sanitize == "skip-sanitize-payload":
            out.append("skip-sanitize-payload")
        elif self.sanitize == "sanitize-payload":
            out.append("sanitize-payload")
        return out

    def keys_description(self) -> str:
        if self.allkeys:
            return "~*"
        return " ".join(_pattern_text(p, perm) for p, perm in self.keys)

    def channels_description(self) -> str:
        if self.allchannels:
            return "&*"
        return " ".join("&" + c.decode("utf-8", "surrogateescape") for c in self.channels)

    def describe_commands(self, index: CommandIndex) -> str:
        """Rules that rebuild this user's command set (Redis's ``ACLDescribeSelectorCommandRules``).

        Start from +@all or -@all (the reserved "future commands" bit), pick the
        best-fitting categories greedily (counting Redis's commands, implemented
        or not), then single commands in name order. Redis walks a hash table
        here, so its order of single commands differs from run to run; ours is
        stable.
        """
        additive = not self.future
        rules = ["-@all" if additive else "+@all"]
        fake: set[Any] = set() if additive else set(index.all)
        temp = set(self.allowed)
        applied: set[str] = set()
        while True:
            best = None
            mindiff = 1 << 62
            maxsame = 0
            for cat in CATEGORY_ORDER:
                if cat in applied:
                    continue
                members = index.members[cat]
                on = len(members & temp)
                off = len(members) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (diff < mindiff or (diff == mindiff and same > maxsame)):
                    best, mindiff, maxsame = cat, diff, same
            if best is None:
                break
            effect = index.effect[best]
            if additive:
                fake |= effect
                temp -= effect
            else:
                fake -= effect
                temp |= effect
            rules.append(("+@" if additive else "-@") + best)
            applied.add(best)
        for spec in index.ordered:
            mine = spec in self.allowed
            if mine != (spec in fake):
                rules.append(("+" if mine else "-") + spec.full_name)
                if mine:
                    fake.update(index.family(spec))
                else:
                    fake.difference_update(index.family(spec))
            if not mine:
                for arg in self.firstargs.get(spec, ()):
                    rules.append(f"+{spec.full_name}|{arg.decode('utf-8', 'surrogateescape')}")
        return " ".join(rules)

    def describe(self, index: CommandIndex) -> str:
        """The rules after ``user NAME`` in ACL LIST and the ACL file (Redis's ``ACLDescribeUser``)."""
        parts = self.flags()
        parts.extend("#" + p for p in self.passwords)
        parts.append(self.describe_selector(index))
        text = " ".join(parts)
        return text + "".join(f" ({sel.describe_selector(index)})" for sel in self.selectors)

    def describe_selector(self, index: CommandIndex) -> str:
        """Keys, channels, then commands (Redis's ``ACLDescribeSelector``)."""
        parts: list[str] = []
        if self.allkeys:
            parts.append("~*")
        else:
            parts.extend(_pattern_text(p, perm) for p, perm in self.keys)
        if self.allchannels:
            parts.append("&*")
        else:
            parts.append("resetchannels")
            parts.extend("&" + c.decode("utf-8", "surrogateescape") for c in self.channels)
        parts.append(self.describe_commands(index))
        return " ".join(parts)

    def selector_reply(self, index: CommandIndex) -> dict[str, str]:
        """One selector in ACL GETUSER."""
        return {"commands": self.describe_commands(index), "keys": self.keys_description(),
                "channels": self.channels_description()}


def _selector(op: bytes, index: CommandIndex, pubsub_default_all: bool) -> User:
    """Redis's ``aclCreateSelectorFromOpSet``: ``(rule rule ...)``, selector rules only."""
    from ..protocol.parser import split_args
    words = split_args(op[1:-1])
    if words is None:
        raise AclRuleError(E_SYNTAX)
    selector = User("", allchannels=pubsub_default_all)
    for word in words:
        selector._apply_selector(word, word.lower(), index)
    return selector


def merge_selector_args(rules: list[bytes]) -> list[bytes] | int:
    """Redis's ``ACLMergeSelectorArguments``: join ``(`` ... ``)`` spread over several arguments.

    Returns the merged rules, or the index of the argument that opened an
    unmatched parenthesis.
    """
    merged: list[bytes] = []
    start = -1
    current = b""
    for i, rule in enumerate(rules):
        if rule[:1] == b"(" and rule[-1:] != b")":
            current, start = rule, i
            continue
        if start != -1:
            current += b" " + rule
            if rule[-1:] == b")":
                merged.append(current)
                start = -1
            continue
        merged.append(rule)
    return start if start != -1 else merged


def _pattern_text(pattern: bytes, perm: int) -> str:
    prefix = {ALL_PERMS: "~", READ: "%R~", WRITE: "%W~"}[perm]
    return prefix + pattern.decode("utf-8", "surrogateescape")


def default_user(index: CommandIndex) -> User:
    """Redis's ``ACLCreateDefaultUser``: +@all ~* &* on nopass."""
    user = User("default")
    user.apply_all([b"+@all", b"~*", b"&*", b"on", b"nopass"], index, False)
    return user
