"""Every error reply text the server sends, in one place.

Texts are Redis's own, byte for byte, because clients and tests match on them.
A handler signals an error by raising :class:`CommandError`; the dispatcher
turns it into an error reply (and counts it in INFO errorstats).
"""
from __future__ import annotations


class CommandError(Exception):
    """An error reply. ``message`` is the full text, including its code prefix."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The first word (ERR, WRONGTYPE, NOAUTH...), as INFO errorstats names it."""
        return self.message.split(" ", 1)[0]


# Generic argument errors
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
OVERFLOW = "ERR increment or decrement would overflow"
INCR_NAN_INF = "ERR increment would produce NaN or Infinity"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NO_SUCH_KEY = "ERR no such key"
INVALID_DB = "ERR DB index is out of range"
SELECT_INVALID = "ERR DB index is out of range"
INVALID_EXPIRE = "ERR invalid expire time in '{}' command"
OUT_OF_RANGE_OFFSET = "ERR offset is out of range"
STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
SAME_OBJECT = "ERR source and destination objects are the same"
COUNT_NEGATIVE = "ERR value is out of range, must be positive"
BUSYKEY = "BUSYKEY Target key name already exists."

# Sorted sets, bitmaps, HyperLogLog, SORT
MIN_MAX_NOT_FLOAT = "ERR min or max is not a float"
MIN_MAX_NOT_LEX = "ERR min or max not valid string range item"
SCORE_NAN = "ERR resulting score is not a number (NaN)"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
ZADD_XX_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = "ERR INCR option supports a single increment-element pair"
LIMIT_NEEDS_BY = ("ERR syntax error, LIMIT is only supported in combination with either "
                  "BYSCORE or BYLEX")
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
BIT_NOT_INTEGER = "ERR bit is not an integer or out of range"
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key."
BIT_ARG_ZERO_ONE = "ERR The bit argument must be 1 or 0."
BITFIELD_TYPE = ("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is "
                 "not supported but i64 is.")
BITFIELD_OVERFLOW = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_WRITE = "ERR BITFIELD_RO only supports the GET subcommand"
HLL_WRONGTYPE = "WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_INVALID = "INVALIDOBJ Corrupted HLL object detected"
SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double"
SORT_BY_CLUSTER = "ERR BY option of SORT denied in Cluster mode."


def at_least_one_key(command: str) -> str:
    return f"ERR at least 1 input key is needed for '{command}' command"


def unknown_command(name: bytes, args: list[bytes]) -> str:
    """Redis's ``'%.*s' `` loop: arguments (C strings) while the text is under 128 bytes,
    each cut to what is left of the 128; bytes are kept raw (see ``_clip``)."""
    shown = b""
    for arg in args:
        if len(shown) >= 128:
            break
        shown += b"'" + arg.split(b"\x00", 1)[0][:128 - len(shown)] + b"' "
    return (f"ERR unknown command '{_clip(name)}', with args beginning with: "
            f"{shown.decode('utf-8', 'surrogateescape')}")


def unknown_subcommand(sub: bytes, command: str) -> str:
    return (
        f"ERR unknown subcommand '{_clip(sub)}'. Try {command.upper()} HELP."
    )


def subcommand_syntax(sub: bytes, command: bytes) -> str:
    """Redis's ``addReplySubcommandSyntaxError``: the subcommand as typed, the command upper-cased."""
    return (f"ERR unknown subcommand or wrong number of arguments for '{_clip(sub)}'. "
            f"Try {command.decode('utf-8', 'replace').upper()} HELP.")


def wrong_arity(name: str) -> str:
    return f"ERR wrong number of arguments for '{name}' command"


def c_string(raw: bytes) -> str:
    """Redis's ``%s`` of an argument: up to the first NUL, raw bytes kept (see ``_clip``)."""
    return raw.split(b"\x00", 1)[0].decode("utf-8", "surrogateescape")


def _clip(raw: bytes) -> str:
    """Redis's ``%.128s`` of an argument: a C string, so it also ends at the first NUL.

    Bytes that are not UTF-8 are kept as surrogates, which the reply encoder
    turns back into the same bytes (Redis echoes the argument raw).
    """
    return raw.split(b"\x00", 1)[0][:128].decode("utf-8", "surrogateescape")


# Protocol errors: sent, then the connection is closed (as Redis does).
PROTO_MBULK_LEN = "ERR Protocol error: invalid multibulk length"
PROTO_BULK_LEN = "ERR Protocol error: invalid bulk length"
PROTO_BIG_MBULK = "ERR Protocol error: too big mbulk count string"
PROTO_BIG_BULK = "ERR Protocol error: too big bulk count string"
PROTO_BIG_INLINE = "ERR Protocol error: too big inline request"
PROTO_QUOTES = "ERR Protocol error: unbalanced quotes in request"
PROTO_UNAUTH_MBULK = "ERR Protocol error: unauthenticated multibulk length"
PROTO_UNAUTH_BULK = "ERR Protocol error: unauthenticated bulk length"


def proto_expected_dollar(got: int) -> str:
    """Redis's ``got '%c'``: the raw byte, CR and LF shown as spaces (addReplyErrorFormat).

    A byte above 0x7f is kept as its surrogateescape character, so encoding the
    text with ``surrogateescape`` sends the byte itself, as Redis does.
    """
    char = " " if got in (10, 13) else chr(got) if got < 128 else chr(0xDC00 + got)
    return f"ERR Protocol error: expected '$', got '{char}'"


# Connection and server state
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED = (
    "ERR AUTH <password> called without any password configured for the "
    "default user. Are you sure your configuration is correct?"
)
NOPROTO = "NOPROTO unsupported protocol version"
MAX_CLIENTS = "ERR max number of clients reached"
# Redis 7.0's clientAcceptHandler text, kept word for word (clients and tools match on it).
PROTECTED_MODE_DENIED = (
    "DENIED Redis is running in protected mode because protected mode is enabled and no password is set "
    "for the default user. In this mode connections are only accepted from the loopback interface. If you "
    "want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just "
    "disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by "
    "connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly "
    "accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively "
    "you can just disable the protected mode by editing the Redis configuration file, and setting the protected "
    "mode option to 'no', and then restarting the server. 3) If you started the server manually just for "
    "testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the "
    "default user. NOTE: You only need to do one of the above things in order for the server to start "
    "accepting connections from the outside.")
REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace"

# Transactions
MULTI_NESTED = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"
EXECABORT = "EXECABORT Transaction discarded because of previous errors."
OOM = "OOM command not allowed when used memory > 'maxmemory'."


def exec_abort(reason: str) -> str:
    """EXEC refused before running anything (Redis's ``execCommandAbort``): the reason's text."""
    return f"EXECABORT Transaction discarded because of: {reason}"


def not_allowed_in_multi(name: str) -> str:
    return "ERR Command not allowed inside a transaction"


def subscribed_context(name: str) -> str:
    return (
        f"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
        "PING / QUIT / RESET are allowed in this context"
    )

# Hashes, lists, sets, blocking commands
INVALID_CURSOR = "ERR invalid cursor"
OUT_OF_RANGE = "ERR value is out of range"
INDEX_OUT_OF_RANGE = "ERR index out of range"
HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
NAN_OR_INFINITY = "ERR value is NaN or Infinity"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
LIMIT_NEGATIVE = "ERR LIMIT can't be negative"
LPOS_RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                  "second ... or use negative to start from the end of the list")
LPOS_COUNT_NEGATIVE = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


def value_range(lo: int, hi: int) -> str:
    """``getRangeLongFromObjectOrReply`` without a custom message."""
    return f"ERR value is out of range, value must between {lo} and {hi}"

# Strings and generic keys
DECR_OVERFLOW = "ERR decrement would overflow"
LCS_WRONGTYPE = "ERR The specified keys must contain string values"
LCS_IDX_AND_LEN = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_BIG = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
EXPIRE_NX_CONFLICT = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_LT_CONFLICT = "ERR GT and LT options at the same time are not compatible"
SWAPDB_FIRST = "ERR invalid first DB index"
SWAPDB_SECOND = "ERR invalid second DB index"
LFU_NOT_SELECTED = ("ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
                    "Please note that when switching between policies at runtime LRU and LFU data "
                    "will take some time to adjust.")
LFU_SELECTED = ("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
                "when switching between policies at runtime LRU and LFU data will take some time "
                "to adjust.")


def invalid_expire(command: str) -> str:
    return INVALID_EXPIRE.format(command)


def unsupported_option(option: bytes) -> str:
    # Redis prints the option with %s: the text stops at a NUL byte.
    return f"ERR Unsupported option {_clip(option.split(bytes(1), 1)[0])}"


def no_latency_samples(event: bytes) -> str:
    """LATENCY GRAPH of an event with no samples (the name as a C string: it ends at a NUL)."""
    return f"ERR No samples available for event '{c_string(event)}'"
