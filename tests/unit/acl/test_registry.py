"""The server's ACL state without sockets: requirepass, config-file users, startup errors."""
from __future__ import annotations

import pytest

from damselfly.acl.registry import AclStartupError, load_configured_users
from damselfly.app import build_state
from damselfly.config import Config


def test_requirepass_sets_the_default_users_password() -> None:
    state = build_state(Config({"requirepass": "pw"}))
    acl = state.extensions["acl"]
    assert acl.auth_required()
    assert acl.default.check_password(b"pw") and not acl.default.check_password(b"x")
    state.config.set("requirepass", "")
    assert acl.default.nopass and not acl.auth_required()


def test_config_file_users() -> None:
    state = build_state(Config())
    acl = state.extensions["acl"]
    load_configured_users(acl, ["bob on >pw ~k* +get", "default on nopass ~* &* +@all -flushall"])
    assert acl.users[b"bob"].check_password(b"pw")
    assert acl.default.flags() == ["on", "nopass", "sanitize-payload"]  # a default line resets it first
    assert not acl.default.unrestricted


@pytest.mark.parametrize("lines, message", [
    (["bob on", "bob off"], "Error in user declaration 'bob': Duplicate user found"),
    (["bob on +nosuch"], "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command"),
    (["bob on (+get"], "Unmatched parenthesis"),
])
def test_config_file_user_errors(lines: list[str], message: str) -> None:
    state = build_state(Config())
    with pytest.raises(AclStartupError, match=message.replace("(", r"\(").replace("+", r"\+")):
        load_configured_users(state.extensions["acl"], lines)


def test_users_and_aclfile_together_stop_startup(tmp_path) -> None:
    path = tmp_path / "users.acl"
    path.write_text("user default on nopass ~* &* +@all\n")
    config = Config({"aclfile": str(path)})
    config.acl_users.append("bob on")
    with pytest.raises(AclStartupError, match="please define either an ACL file or declare users"):
        build_state(config)


def test_missing_aclfile_stops_startup(tmp_path) -> None:
    with pytest.raises(AclStartupError, match="Error loading ACLs, opening file"):
        build_state(Config({"aclfile": str(tmp_path / "missing.acl")}))
