"""ACL users without sockets: the rule language, passwords, descriptions (Redis 7.0.15's texts)."""
from __future__ import annotations

import hashlib

import pytest

from damselfly.acl.users import (ALL_PERMS, READ, WRITE, AclRuleError, CommandIndex, User, default_user,
                                 hash_password)
from damselfly.commands import build_table

INDEX = CommandIndex(build_table())


def make(*rules: str, allchannels: bool = False) -> User:
    user = User("u", allchannels=allchannels)
    user.apply_all([r.encode() for r in rules], INDEX, allchannels)
    return user


def spec(name: str):
    found = INDEX.lookup(name.encode())
    assert found is not None, name
    return found


def test_new_user_is_off_with_nothing_allowed() -> None:
    user = make()
    assert user.flags() == ["off"]
    assert user.allowed == set() and not user.future and not user.unrestricted
    assert user.describe(INDEX) == "off resetchannels -@all"


def test_default_user_is_unrestricted() -> None:
    user = default_user(INDEX)
    assert user.unrestricted
    assert user.describe(INDEX) == "on nopass ~* &* +@all"
    assert user.check_password(b"anything")


def test_passwords_are_sha256_hex_and_any_listed_one_works() -> None:
    user = make("on", ">one", ">two", ">one")
    assert user.passwords == [hash_password(b"one"), hash_password(b"two")]
    assert hash_password(b"one") == hashlib.sha256(b"one").hexdigest()
    assert user.check_password(b"one") and user.check_password(b"two")
    assert not user.check_password(b"three")
    user.apply(b"<one", INDEX)
    assert not user.check_password(b"one")
    user.apply(b"!" + hash_password(b"two").encode(), INDEX)
    assert user.passwords == []
    assert not user.check_password(b"")


def test_hash_rule_requires_64_lowercase_hex() -> None:
    with pytest.raises(AclRuleError, match="exactly 64 characters"):
        make("#" + "A" * 64)
    with pytest.raises(AclRuleError, match="exactly 64 characters"):
        make("#abc")
    user = make("#" + "a" * 64)
    assert user.passwords == ["a" * 64]


def test_off_user_cannot_log_in_even_with_nopass() -> None:
    user = make("off", "nopass")
    assert not user.check_password(b"x")
    user.apply(b"on", INDEX)
    assert user.check_password(b"x")


def test_nopass_and_resetpass() -> None:
    user = make("on", ">pw", "nopass")
    assert user.passwords == [] and user.nopass
    user.apply(b">pw", INDEX)
    assert not user.nopass  # a password clears nopass
    user.apply(b"resetpass", INDEX)
    assert user.passwords == [] and not user.nopass and not user.check_password(b"pw")


def test_removing_a_missing_password_is_an_error() -> None:
    with pytest.raises(AclRuleError, match="does not exist"):
        make("<nope")


def test_commands_and_categories() -> None:
    user = make("+get", "+@hash", "-hset")
    assert spec("get") in user.allowed and spec("hget") in user.allowed
    assert spec("hset") not in user.allowed and spec("set") not in user.allowed
    assert user.describe_commands(INDEX) == "-@all +@hash +get -hset"  # single commands in name order


def test_plus_all_then_removals_keep_the_future_bit() -> None:
    user = make("+@all", "-@hash", "+hget", "-set")
    assert user.future and not user.allcommands
    assert user.describe_commands(INDEX) == "+@all -@hash +hget -set"


def test_container_rule_covers_its_subcommands() -> None:
    user = make("+client")
    assert spec("client|list") in user.allowed and spec("client|id") in user.allowed
    user = make("+@all", "-client", "+client|id")
    assert spec("client|id") in user.allowed and spec("client|list") not in user.allowed


def test_first_arg_rules() -> None:
    user = make("+select|0", "+select|1", "+select|0")
    assert user.firstargs[spec("select")] == [b"0", b"1"]
    assert user.describe_commands(INDEX) == "-@all +select|0 +select|1"
    user.apply(b"+select", INDEX)
    assert spec("select") not in user.firstargs
    with pytest.raises(AclRuleError, match="first-arg of a subcommand"):
        make("+client|id|x")
    with pytest.raises(AclRuleError, match="Unknown command"):
        make("+client|nosuch")
    with pytest.raises(AclRuleError, match="Syntax error"):
        make("+get|")


@pytest.mark.parametrize("rule", ["+nosuch", "-nosuch", "+@nosuch", "-@nosuch", "-client|id|x"])
def test_unknown_commands_and_categories(rule: str) -> None:
    with pytest.raises(AclRuleError, match="Unknown command or category name in ACL"):
        make(rule)


@pytest.mark.parametrize("rule", ["bogus", "%X~a", "%~a", "%RR~a", "~a b", "&a\x00b"])
def test_syntax_errors(rule: str) -> None:
    with pytest.raises(AclRuleError, match="Syntax error"):
        make(rule)


def test_key_patterns_merge_permissions() -> None:
    user = make("~x", "%R~x", "%W~y", "%R~y", "%r~z")
    assert user.keys == [[b"x", ALL_PERMS], [b"y", ALL_PERMS], [b"z", READ]]
    assert user.keys_description() == "~x ~y %R~z"
    assert make("%W~w").keys == [[b"w", WRITE]]


def test_allkeys_then_pattern_is_refused() -> None:
    with pytest.raises(AclRuleError, match="'allkeys' flag"):
        make("allkeys", "~a")
    user = make("~a", "allkeys")
    assert user.allkeys and user.keys == [] and user.keys_description() == "~*"
    user.apply(b"resetkeys", INDEX)
    assert not user.allkeys and user.keys_description() == ""


def test_channels() -> None:
    with pytest.raises(AclRuleError, match="'allchannels' flag"):
        make("&*", "&a")
    user = make("&a", "&b", "&a")
    assert user.channels == [b"a", b"b"]
    assert user.channels_description() == "&a &b"
    assert make(allchannels=True).channels_description() == "&*"


def test_reset_follows_acl_pubsub_default() -> None:
    user = make("on", ">pw", "~*", "&*", "+@all")
    user.apply(b"reset", INDEX, False)
    assert user.describe(INDEX) == "off sanitize-payload resetchannels -@all"
    user.apply(b"reset", INDEX, True)
    assert user.describe(INDEX) == "off sanitize-payload &* -@all"


def test_unrestricted_needs_all_three() -> None:
    assert make("+@all", "~*", "&*").unrestricted
    assert not make("+@all", "~*").unrestricted
    assert not make("+@all", "&*").unrestricted
    assert not make("~*", "&*", "+@all", "-get", "+get").unrestricted  # allcommands dropped, as Redis


def test_describe_full_user_line() -> None:
    user = make("on", ">pw", "%R~r*", "%W~w*", "~b*", "&ch*", "-@all", "+get")
    assert user.describe(INDEX) == (
        f"on #{hash_password(b'pw')} %R~r* %W~w* ~b* resetchannels &ch* -@all +get")


def test_copy_is_independent() -> None:
    user = make("on", "+get", "~a")
    other = user.copy()
    other.apply(b"+set", INDEX)
    other.apply(b"~b", INDEX)
    assert spec("set") not in user.allowed and user.keys == [[b"a", ALL_PERMS]]
    user.copy_from(other)
    assert spec("set") in user.allowed


def test_empty_rule_is_a_no_op_and_case_is_ignored() -> None:
    user = make("", "ON", "AllKeys", "+GET", "+@HASH")
    assert user.enabled and user.allkeys and spec("get") in user.allowed and spec("hset") in user.allowed


def test_unimplemented_redis_commands_may_be_named() -> None:
    user = make("+@all", "-eval", "-xinfo|stream", "-@stream")
    assert user.describe_commands(INDEX) == "+@all -@stream -eval"
    assert INDEX.lookup(b"eval") is not None and INDEX.lookup(b"eval") not in INDEX.implemented
    with pytest.raises(AclRuleError, match="Unknown command"):
        make("+notaredisscommand")
    user = make("+xinfo|stream")
    assert user.describe_commands(INDEX) == "-@all +xinfo|stream"


def test_selectors_are_described_after_the_root() -> None:
    user = make("on", "+get", "~a*", "(+set ~b* &c*)", "(+hget %R~h*)")
    assert user.describe(INDEX).endswith(
        "~a* resetchannels -@all +get (~b* resetchannels &c* -@all +set) (%R~h* resetchannels -@all +hget)")
    assert [s.selector_reply(INDEX) for s in user.selectors] == [
        {"commands": "-@all +set", "keys": "~b*", "channels": "&c*"},
        {"commands": "-@all +hget", "keys": "%R~h*", "channels": ""}]
    copy = user.copy()
    user.apply(b"clearselectors", INDEX)
    assert user.selectors == [] and len(copy.selectors) == 2
    copy.apply(b"reset", INDEX)
    assert copy.selectors == []


@pytest.mark.parametrize("rule, message", [
    ("(on)", "Syntax error"), ("(+nosuch)", "Unknown command"), ("(~* ~a)", "'allkeys' flag"),
    ('("unbalanced)', "Syntax error"),
])
def test_selector_errors(rule: str, message: str) -> None:
    with pytest.raises(AclRuleError, match=message):
        make(rule)


def test_merge_selector_arguments() -> None:
    from damselfly.acl.users import merge_selector_args
    assert merge_selector_args([b"on", b"(+get", b"~a)", b"(", b"+set", b")", b"(x)"]) == [
        b"on", b"(+get ~a)", b"( +set )", b"(x)"]
    assert merge_selector_args([b"on", b"(+get", b"~a"]) == 1


def test_a_category_rule_forgets_first_args_of_its_commands() -> None:
    user = make("+select|0", "+config|get")
    user.apply(b"-@connection", INDEX)  # SELECT is in @connection
    assert spec("select") not in user.firstargs
    assert user.describe_commands(INDEX) == "-@all +config|get"
