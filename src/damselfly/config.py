"""Every configuration option: Redis's name, type, default, validation, mutability.

One table (:data:`OPTIONS`) drives the config file reader, the command line,
CONFIG GET/SET and CONFIG REWRITE, so an option is declared once. Values are
kept parsed (ints in bytes for memory sizes, bools) in ``Config.values`` and
mirrored as attributes with underscores (``config.proto_max_bulk_len``) so the
hot path reads them with one attribute access.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .glob import compile_glob
from .protocol.parser import split_args


class ConfigError(ValueError):
    """A bad option name or value; ``str(exc)`` is the reason Redis would give."""


_MEM_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
              "g": 1000**3, "gb": 1024**3}


def parse_memory(text: str) -> int:
    """Redis's ``memtoll``: 1k=1000, 1kb=1024, 1mb, 1gb..."""
    m = re.fullmatch(r"(-?\d+)([a-zA-Z]*)", text.strip())
    if not m or m.group(2).lower() not in _MEM_UNITS:
        raise ConfigError("argument must be a memory value")
    return int(m.group(1)) * _MEM_UNITS[m.group(2).lower()]


def _parse_bool(text: str) -> bool:
    low = text.lower()
    if low == "yes":
        return True
    if low == "no":
        return False
    raise ConfigError("argument must be 'yes' or 'no'")


def _fmt_bool(v: bool) -> str:
    return "yes" if v else "no"


_STRICT_INT = re.compile(r"-?[1-9][0-9]{0,19}|0")


def _parse_int_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        # Redis's string2ll: no spaces, no '+', no leading zeros or "-0", within 64 bits.
        if _STRICT_INT.fullmatch(text) is None or not -(2**63) <= int(text) < 2**63:
            raise ConfigError("argument couldn't be parsed into an integer")
        v = int(text)
        if not lo <= v <= hi:
            raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
        return v
    return parse


def _memtoull(text: str) -> int:
    """Redis's ``memtoull``: a C string of ASCII digits (none is 0) and a unit; no sign, no spaces."""
    text = text.split("\x00", 1)[0]
    i = 0
    while i < len(text) and text[i] in "0123456789":
        i += 1
    unit = text[i:].lower()
    if unit not in _MEM_UNITS or i >= 128:
        raise ConfigError("argument must be a memory value")
    return int(text[:i] or "0") * _MEM_UNITS[unit]


def _parse_memory_in(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        v = _memtoull(text)
        if not lo <= v <= hi:
            raise ConfigError(f"argument must be between {lo} and {hi} inclusive")
        return v
    return parse


def _parse_appendonly(text: str) -> bool:
    """``appendonly`` exists so tools can read it (redis-benchmark does); there is no AOF to turn on."""
    if _parse_bool(text):
        raise ConfigError("damselfly has no append-only file; use RDB snapshots (save, SAVE, BGSAVE)")
    return False


def _parse_hz(text: str) -> int:
    """Redis accepts 0..INT_MAX and keeps the value clamped to 1..500 (CONFIG GET shows it clamped)."""
    return min(500, max(1, _parse_int_in(0, 2**31 - 1)(text)))


def _parse_enum(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.lower() not in choices:
            raise ConfigError("argument(s) must be one of the following: " + ", ".join(choices))
        return text.lower()
    return parse


def parse_save(text: str) -> list[tuple[int, int]]:
    """``save`` points: pairs of seconds and changes; empty string disables."""
    parts = text.split()
    if len(parts) % 2:
        raise ConfigError("Invalid save parameters")
    out = []
    for i in range(0, len(parts), 2):
        try:
            secs, changes = int(parts[i]), int(parts[i + 1])
        except ValueError:
            raise ConfigError("Invalid save parameters") from None
        if secs < 1 or changes < 0:
            raise ConfigError("Invalid save parameters")
        out.append((secs, changes))
    return out


def _fmt_save(v: list[tuple[int, int]]) -> str:
    return " ".join(f"{s} {c}" for s, c in v)


OBUF_CLASSES = ("normal", "replica", "pubsub")


@dataclass(frozen=True, slots=True)
class BufferLimit:
    hard: int
    soft: int
    soft_seconds: int
    # The limit a client meets first (0: none), read by the control path after every drain.
    lowest: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        soft, hard = self.soft, self.hard
        object.__setattr__(self, "lowest", soft if soft and (not hard or soft < hard) else hard)


def parse_obuf_limits(text: str, base: dict[str, BufferLimit] | None = None) -> dict[str, BufferLimit]:
    """``client-output-buffer-limit <class> <hard> <soft> <secs> ...``."""
    parts = text.split()
    if not parts or len(parts) % 4:
        raise ConfigError("Wrong number of arguments in buffer limit configuration.")
    out = dict(base or DEFAULT_OBUF_LIMITS)
    for i in range(0, len(parts), 4):
        cls = parts[i].lower()
        if cls == "slave":
            cls = "replica"
        if cls not in OBUF_CLASSES:
            raise ConfigError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(parts[i + 1]), parse_memory(parts[i + 2])
            secs = int(parts[i + 3])
        except (ConfigError, ValueError):
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
        if hard < 0 or soft < 0 or secs < 0:
            raise ConfigError("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
        out[cls] = BufferLimit(hard, soft, secs)
    return out


def _fmt_obuf(v: dict[str, BufferLimit]) -> str:
    names = {"normal": "normal", "replica": "slave", "pubsub": "pubsub"}
    return " ".join(f"{names[c]} {v[c].hard} {v[c].soft} {v[c].soft_seconds}" for c in OBUF_CLASSES)


DEFAULT_OBUF_LIMITS = {
    "normal": BufferLimit(0, 0, 0),
    "replica": BufferLimit(256 * 1024**2, 64 * 1024**2, 60),
    "pubsub": BufferLimit(32 * 1024**2, 8 * 1024**2, 60),
}

_NOTIFY_LETTERS = "KEg$lshzxetmdnA"


def parse_notify_flags(text: str) -> str:
    """Validate, then store Redis's canonical spelling (``KEA`` reads back as ``AKE``).

    Redis keeps the flags as bits and prints them with
    ``keyspaceEventsFlagsToString``: ``A`` when every class is on (which hides
    ``n``), else the classes in ``g$lshzxetdn`` order, then ``K``, ``E``, ``m``.
    """
    for ch in text:
        if ch not in _NOTIFY_LETTERS:
            raise ConfigError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    classes = "g$lshzxetd"
    if "A" in text or all(c in text for c in classes):
        canonical = "An" if "n" in text else "A"  # n is kept; _fmt_notify_flags hides it
    else:
        canonical = "".join(c for c in classes + "n" if c in text)
    return canonical + "".join(c for c in "KEm" if c in text)


def _fmt_notify_flags(value: str) -> str:
    """CONFIG GET and REWRITE print ``A`` alone, as Redis does, even when ``n`` is on too."""
    return "A" + value[2:] if value.startswith("An") else value


@dataclass(slots=True)
class Option:
    """One option: how to parse its text, print its value, and whether CONFIG SET may change it."""

    name: str
    default: str
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str] = str
    mutable: bool = True
    aliases: tuple[str, ...] = ()
    doc: str = ""
    multi_arg: bool = False  # accepts several words on a config-file line


def _opt(name: str, default: str, parse: Callable[[str], Any] = str, fmt: Callable[[Any], str] = str,
         **kw: Any) -> Option:
    return Option(name, default, parse, fmt, **kw)


_INT = _parse_int_in(-(2**63), 2**63 - 1)
_UINT = _parse_int_in(0, 2**63 - 1)
_LEVELS = ("debug", "verbose", "notice", "warning")  # Redis 7.0 has no "nothing" (7.2 added it)
_POLICIES = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
             "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction")

OPTIONS: dict[str, Option] = {o.name: o for o in [
    _opt("bind", "127.0.0.1 -::1", str, mutable=True, multi_arg=True,
         doc="addresses to listen on; a leading '-' makes an address optional"),
    _opt("port", "6379", _parse_int_in(0, 65535), doc="TCP port (0 picks a free one)"),
    _opt("databases", "16", _parse_int_in(1, 2**31 - 1), mutable=False),
    _opt("maxclients", "10000", _parse_int_in(1, 2**31 - 1)),
    _opt("timeout", "0", _parse_int_in(0, 2**31 - 1), doc="close idle clients after N seconds (0 = never)"),
    _opt("tcp-keepalive", "300", _parse_int_in(0, 2**31 - 1)),
    _opt("tcp-backlog", "511", _parse_int_in(0, 2**31 - 1), mutable=False),
    _opt("loglevel", "notice", _parse_enum(*_LEVELS)),
    _opt("logfile", "", str, mutable=False, doc="log file path; empty logs to stdout"),
    _opt("dir", ".", str, os.path.abspath, doc="working directory for dumps (shown absolute)"),
    _opt("dbfilename", "dump.rdb", str),
    _opt("save", "3600 1 300 100 60 10000", parse_save, _fmt_save, multi_arg=True),
    _opt("rdbcompression", "yes", _parse_bool, _fmt_bool, doc="LZF-compress strings longer than 20 bytes in dumps"),
    _opt("rdbchecksum", "yes", _parse_bool, _fmt_bool,
         doc="write a CRC-64 at the end of dumps and verify it on load"),
    _opt("stop-writes-on-bgsave-error", "yes", _parse_bool, _fmt_bool,
         doc="refuse writes (MISCONF) while the last background save failed"),
    _opt("rdb-key-save-delay", "0", _INT, doc="microseconds to sleep per key while saving (testing, as Redis)"),
    _opt("requirepass", "", str, doc="password of the default user"),
    _opt("protected-mode", "yes", _parse_bool, _fmt_bool,
         doc="while the default user needs no password, refuse clients not on 127.0.0.1, ::1 or a unix socket"),
    _opt("aclfile", "", str, mutable=False, doc="ACL file for ACL LOAD/SAVE, loaded at startup"),
    _opt("acl-pubsub-default", "resetchannels", _parse_enum("allchannels", "resetchannels"),
         doc="channel permissions of new ACL users"),
    _opt("acllog-max-len", "128", _UINT, doc="entries kept by ACL LOG"),
    _opt("proto-max-bulk-len", "512mb", _parse_memory_in(1024 * 1024, 2**63 - 1)),
    _opt("client-query-buffer-limit", "1gb", _parse_memory_in(1024 * 1024, 2**63 - 1)),
    _opt("client-output-buffer-limit", _fmt_obuf(DEFAULT_OBUF_LIMITS), parse_obuf_limits, _fmt_obuf,
         multi_arg=True),
    _opt("hz", "10", _parse_hz),
    _opt("active-expire-effort", "1", _parse_int_in(1, 10),
         doc="active expiry's time budget: 25% of a cron tick, +2% per step above 1"),
    _opt("slowlog-log-slower-than", "10000", _parse_int_in(-1, 2**63 - 1)),
    _opt("slowlog-max-len", "128", _UINT),
    _opt("latency-monitor-threshold", "0", _UINT),
    _opt("notify-keyspace-events", "", parse_notify_flags, _fmt_notify_flags),
    _opt("tracking-table-max-keys", "1000000", _UINT),
    _opt("maxmemory", "0", _parse_memory_in(0, 2**63 - 1)),
    _opt("maxmemory-policy", "noeviction", _parse_enum(*_POLICIES)),
    _opt("maxmemory-samples", "5", _parse_int_in(1, 2**31 - 1)),
    _opt("maxmemory-eviction-tenacity", "10", _parse_int_in(0, 100),
         doc="eviction time budget per command: 50us x N up to 10, x1.15 per step above, 100 = no limit"),
    _opt("lfu-log-factor", "10", _parse_int_in(0, 2**31 - 1)),
    _opt("lfu-decay-time", "1", _parse_int_in(0, 2**31 - 1)),
    _opt("lazyfree-lazy-user-flush", "no", _parse_bool, _fmt_bool),
    _opt("daemonize", "no", _parse_bool, _fmt_bool, mutable=False),
    _opt("pidfile", "", str, mutable=False),
    _opt("enable-debug-command", "no", _parse_enum("yes", "no", "local"), mutable=False,
         doc="allow DEBUG (yes, or local connections only)"),
    _opt("appendonly", "no", _parse_appendonly, _fmt_bool, doc="always no: there is no append-only file"),
    _opt("enable-protected-configs", "no", _parse_enum("yes", "no", "local"), mutable=False,
         doc="allow CONFIG SET of dir and dbfilename (yes, or local connections only)"),
    _opt("control-batching", "yes", _parse_bool, _fmt_bool,
         doc="batch control-path replies (pub/sub, MONITOR, invalidations) when 2+ wait"),
    _opt("async-dispatch-quota", "100", _UINT,
         doc="control messages drained per turn of a connection (0 = no limit)"),
    _opt("zset-max-listpack-entries", "128", _UINT,
         doc="a zset with more members is skiplist-encoded (OBJECT ENCODING)"),
    _opt("zset-max-listpack-value", "64", _parse_memory_in(0, 2**63 - 1),
         doc="a zset with a longer member is skiplist-encoded"),
    _opt("hll-sparse-max-bytes", "3000", _parse_memory_in(0, 2**63 - 1),
         doc="a sparse HyperLogLog growing past this many bytes turns dense"),
    _opt("hash-max-listpack-entries", "512", _UINT,
         doc="a hash with more fields is reported as hashtable (OBJECT ENCODING, HSCAN)"),
    _opt("hash-max-listpack-value", "64", _parse_memory_in(0, 2**63 - 1),
         doc="a hash with a longer field or value is reported as hashtable"),
    _opt("set-max-intset-entries", "512", _UINT,
         doc="an all-integer set with more members is reported as hashtable"),
    _opt("list-max-listpack-size", "-2", _parse_int_in(-(2**31), 2**31 - 1),
         doc="accepted for compatibility; lists are deques"),
    _opt("list-compress-depth", "0", _parse_int_in(0, 2**31 - 1),
         doc="accepted for compatibility; lists are never compressed"),
    # TLS (net/tls.py). Like Redis, the files and protocols are checked when TLS is on (startup,
    # or CONFIG SET while tls-port is set): CONFIG SET then rebuilds the context or fails whole.
    _opt("tls-port", "0", _parse_int_in(0, 65535),
         doc="TLS listening port on the bind addresses, beside the plain port (0 = no TLS)"),
    _opt("tls-cert-file", "", str, doc="server certificate (PEM)"),
    _opt("tls-key-file", "", str, doc="server private key (PEM)"),
    _opt("tls-key-file-pass", "", str, doc="passphrase of tls-key-file"),
    _opt("tls-ca-cert-file", "", str, doc="CA bundle that client certificates must chain to"),
    _opt("tls-ca-cert-dir", "", str, doc="directory of hashed CA certificates"),
    _opt("tls-dh-params-file", "", str, doc="DH parameters for DHE ciphers"),
    _opt("tls-auth-clients", "yes", _parse_enum("no", "yes", "optional"),
         doc="client certificates: yes = required, optional = verified if sent, no = not asked"),
    _opt("tls-protocols", "", str,
         doc="enabled versions among TLSv1 TLSv1.1 TLSv1.2 TLSv1.3 (empty: TLSv1.2 TLSv1.3)"),
    _opt("tls-ciphers", "", str, doc="OpenSSL cipher list for TLSv1.2 and below (empty: DEFAULT)"),
    _opt("tls-prefer-server-ciphers", "no", _parse_bool, _fmt_bool,
         doc="choose the cipher by the server's order rather than the client's"),
]}

# Redis 7.0.15's aliases. It has none for client-output-buffer-limit: CONFIG GET/SET
# and the config file refuse "slave-output-buffer-limit".
ALIASES = {"hash-max-ziplist-entries": "hash-max-listpack-entries",
           "hash-max-ziplist-value": "hash-max-listpack-value",
           "list-max-ziplist-size": "list-max-listpack-size"}

ALIASES.update({"zset-max-ziplist-entries": "zset-max-listpack-entries",
                "zset-max-ziplist-value": "zset-max-listpack-value"})



def canonical(name: str) -> str:
    name = name.lower()
    return ALIASES.get(name, name)


class Config:
    """Parsed option values, with attribute access for the hot path."""

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.values: dict[str, Any] = {}
        self.listeners: list[Callable[[str, Any], None]] = []
        self.file = ""  # absolute path of the config file read at startup (CONFIG REWRITE, INFO)
        self.acl_users: list[str] = []  # "user NAME rules..." lines, loaded by acl/registry.py at startup
        # Config-file directives that are not options, written by CONFIG REWRITE from their
        # owner's current state: name -> lines ("user" -> the ACL users, acl/registry.py).
        self.extra_directives: dict[str, Callable[[], list[str]]] = {}
        for opt in OPTIONS.values():
            self._store(opt.name, opt.parse(opt.default))
        for name, text in (overrides or {}).items():
            self.set(name, text)

    def _store(self, name: str, value: Any) -> None:
        self.values[name] = value
        object.__setattr__(self, name.replace("-", "_"), value)

    def set(self, name: str, text: str) -> None:
        """Parse and store one option (config file, command line, CONFIG SET)."""
        opt = OPTIONS.get(canonical(name))
        if opt is None:
            raise ConfigError(f"Bad directive or wrong number of arguments")
        if opt.name == "client-output-buffer-limit":
            value = parse_obuf_limits(text, self.values.get(opt.name))
        else:
            value = opt.parse(text)
        self._store(opt.name, value)
        for fn in self.listeners:
            fn(opt.name, value)

    def format(self, name: str) -> str:
        opt = OPTIONS[name]
        return opt.fmt(self.values[name])

    def match(self, pattern: str) -> Iterable[str]:
        """Option and alias names matching a CONFIG GET glob: Redis's stringmatch, nocase."""
        matches = compile_glob(pattern.encode(), nocase=True)
        for name in list(OPTIONS) + list(ALIASES):
            if matches(name.encode()):
                yield name

    def __getattr__(self, item: str) -> Any:  # only reached for unknown names
        raise AttributeError(item)


def read_config_text(text: str) -> list[tuple[str, str]]:
    """Parse redis.conf syntax into (name, value) pairs, in order."""
    pairs: list[tuple[str, str]] = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = split_args(line.encode())
        if words is None:
            raise ConfigError(f"line {lineno}: unbalanced quotes in configuration line")
        name = words[0].decode().lower()
        args = [w.decode() for w in words[1:]]
        if name == "include":
            for path in args:
                with open(path, encoding="utf-8") as fh:
                    pairs.extend(read_config_text(fh.read()))
            continue
        pairs.append((name, " ".join(args)))
    return pairs


def load_config(path: str | None, overrides: list[tuple[str, str]]) -> Config:
    """Build a Config from a redis.conf-style file, then ``--option value`` overrides."""
    cfg = Config()
    if path:
        cfg.file = os.path.abspath(os.path.expanduser(path))
    pairs: list[tuple[str, str]] = []
    if path:
        with open(os.path.expanduser(path), encoding="utf-8") as fh:
            pairs.extend(read_config_text(fh.read()))
    pairs.extend(overrides)
    save_seen = False
    for name, value in pairs:
        canon = canonical(name)
        if canon == "user":  # ACL users, as in redis.conf: not an option, kept for the ACL subsystem
            cfg.acl_users.append(value)
            continue
        if canon == "save" and save_seen and value.strip():
            # Several ``save`` lines add points, as in redis.conf.
            value = cfg.format("save") + " " + value
        if canon == "save":
            save_seen = True
        try:
            cfg.set(name, value)
        except ConfigError as exc:
            raise ConfigError(f"'{name} {value}': {exc}") from None
    return cfg
