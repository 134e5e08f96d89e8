"""CONFIG REWRITE's file rewriting rules, on text and on real files."""
from __future__ import annotations

import os

from damselfly.config import Config, load_config
from damselfly.config_rewrite import SIGNATURE, rewrite, rewritten_text

from ._server_fixtures import Harness


def test_untouched_defaults_write_nothing_new() -> None:
    assert rewritten_text(Config(), "# just a comment\n") == "# just a comment\n"


def test_lines_rewritten_in_place_comments_and_unknown_lines_kept() -> None:
    old = "# my server\nport 7000\nsome-module-option 1\n\nmaxmemory 100mb\n"
    cfg = Config({"port": "7001", "maxmemory": "0"})
    assert rewritten_text(cfg, old) == "# my server\nport 7001\nsome-module-option 1\n\nmaxmemory 0\n"


def test_new_non_default_options_go_after_the_signature_once() -> None:
    cfg = Config({"hz": "20", "requirepass": "a b"})
    text = rewritten_text(cfg, "port 6379\n")
    assert text == f"port 6379\n{SIGNATURE}\nrequirepass \"a b\"\nhz 20\n"  # the option table's order
    cfg.set("timeout", "5")
    again = rewritten_text(cfg, text)
    assert again.count(SIGNATURE) == 1 and again.endswith("requirepass \"a b\"\nhz 20\ntimeout 5\n")


def test_save_and_buffer_limits_one_line_each_and_orphans_dropped() -> None:
    old = "save 900 1\nsave 300 10\nsave 60 10000\nclient-output-buffer-limit pubsub 1mb 1mb 10\n"
    cfg = Config({"save": "100 5", "client-output-buffer-limit": "pubsub 2mb 1mb 10"})
    text = rewritten_text(cfg, old)
    assert text.splitlines() == [
        "save 100 5",
        "client-output-buffer-limit normal 0 0 0",
        SIGNATURE,
        "client-output-buffer-limit slave 268435456 67108864 60",
        "client-output-buffer-limit pubsub 2097152 1048576 10",
    ]
    assert rewritten_text(Config({"save": ""}), "save 1 1\nsave 2 2\n") == 'save ""\n'


def test_rewrite_round_trips_through_the_loader(tmp_path) -> None:
    path = tmp_path / "damselfly.conf"
    path.write_text("# hello\nport 7100\nsave 60 1\n")
    cfg = load_config(str(path), [("maxmemory", "5mb"), ("requirepass", 'we"ird pass'), ("bind", "127.0.0.1 -::1")])
    assert cfg.file == str(path)
    rewrite(cfg, str(path))
    again = load_config(str(path), [])
    for name in ("port", "save", "maxmemory", "requirepass", "bind"):
        assert again.format(name) == cfg.format(name), name
    assert path.read_text().startswith("# hello\nport 7100\nsave 60 1\n")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".damselfly-rewrite-")]


def test_config_rewrite_command_writes_the_startup_file(tmp_path) -> None:
    path = tmp_path / "s.conf"
    path.write_text("hz 10\n")
    h = Harness()
    h.state.config.file = str(path)
    c = h.connect()
    h.run(c, "CONFIG", "SET", "hz", "33", "maxmemory", "1mb")
    assert h.run(c, "CONFIG", "REWRITE") == b"+OK\r\n"
    # Redis writes every ACL user, the default one included (rewriteConfigUserOption)
    assert path.read_text() == f"hz 33\n{SIGNATURE}\nmaxmemory 1048576\nuser default on nopass ~* &* +@all\n"
    os.chmod(tmp_path, 0o500)
    try:
        if os.geteuid() != 0:  # root ignores directory permissions
            assert h.run(c, "CONFIG", "REWRITE").startswith(b"-ERR Rewriting config file: ")
    finally:
        os.chmod(tmp_path, 0o700)
