"""net/tls.py without sockets: tls-* option parsing and the server context they build."""
from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from damselfly.config import Config, ConfigError
from damselfly.net.tls import (DEFAULT_PROTOCOLS, INVALID_PROTOCOLS, TLSConfigError, build_server_context,
                               parse_protocols, version_range)

from ...tls_certs import KEY_PASS, Certs, available, make_certs

V = ssl.TLSVersion


@pytest.mark.parametrize("text, expected", [
    ("", DEFAULT_PROTOCOLS),
    ("TLSv1.2", ("tlsv1.2",)),
    ("tlsv1.3 TLSV1.2", ("tlsv1.3", "tlsv1.2")),
    ("TLSv1 TLSv1.1", ("tlsv1", "tlsv1.1")),
])
def test_parse_protocols(text, expected):
    assert parse_protocols(text) == expected


@pytest.mark.parametrize("text", ["TLSv1.4", "SSLv3", "TLSv1.2  TLSv1.3", " TLSv1.2", "TLSv1.2,TLSv1.3"])
def test_parse_protocols_refuses_what_redis_refuses(text):
    with pytest.raises(ValueError, match="Invalid tls-protocols specified"):
        parse_protocols(text)


@pytest.mark.parametrize("words, expected", [
    (DEFAULT_PROTOCOLS, (V.TLSv1_2, V.TLSv1_3)),
    (("tlsv1.3",), (V.TLSv1_3, V.TLSv1_3)),
    (("tlsv1.3", "tlsv1"), (V.TLSv1, V.TLSv1_3)),
])
def test_version_range(words, expected):
    assert version_range(words) == expected


def test_config_table_defaults_match_redis():
    cfg = Config()
    assert [cfg.format(name) for name in ("tls-port", "tls-auth-clients", "tls-protocols", "tls-ciphers",
                                          "tls-prefer-server-ciphers", "tls-cert-file")] == \
        ["0", "yes", "", "", "no", ""]


def test_config_validates_auth_clients_and_keeps_protocols_as_written():
    """As Redis: tls-protocols is only checked when a context is built (TLS on), not when stored."""
    cfg = Config()
    cfg.set("tls-protocols", "TLSv1.4")
    with pytest.raises(ConfigError, match="argument\\(s\\) must be one of the following: no, yes, optional"):
        cfg.set("tls-auth-clients", "maybe")
    cfg.set("tls-auth-clients", "OPTIONAL")
    assert cfg.format("tls-auth-clients") == "optional"
    cfg.set("tls-protocols", "TLSv1.2 TLSv1.3")
    assert cfg.format("tls-protocols") == "TLSv1.2 TLSv1.3"  # kept as written, as CONFIG GET shows it
    with pytest.raises(ConfigError):
        cfg.set("tls-port", "65536")


# -- building the context --------------------------------------------------------------

@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    if not available():
        pytest.skip("openssl command-line tool not installed")
    return make_certs(tmp_path_factory.mktemp("tls-unit"))


def _config(certs: Certs, **options: str) -> Config:
    cfg = Config()
    values = {"tls-cert-file": certs.server_cert, "tls-key-file": certs.server_key, "tls-ca-cert-file": certs.ca}
    values.update({name.replace("_", "-"): value for name, value in options.items()})
    for name, value in values.items():
        cfg.set(name, value)
    return cfg


@pytest.mark.parametrize("setting, mode", [("yes", ssl.CERT_REQUIRED), ("optional", ssl.CERT_OPTIONAL),
                                           ("no", ssl.CERT_NONE)])
def test_auth_clients_sets_verify_mode(certs, setting, mode):
    assert build_server_context(_config(certs, tls_auth_clients=setting)).verify_mode == mode


def test_default_context_is_redis_like(certs):
    ctx = build_server_context(_config(certs))
    assert (ctx.minimum_version, ctx.maximum_version) == (V.TLSv1_2, V.TLSv1_3)
    assert not ctx.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    assert ctx.options & ssl.OP_NO_COMPRESSION
    assert build_server_context(_config(certs, tls_prefer_server_ciphers="yes")).options \
        & ssl.OP_CIPHER_SERVER_PREFERENCE


def test_protocols_set_the_version_range(certs):
    ctx = build_server_context(_config(certs, tls_protocols="TLSv1.3"))
    assert (ctx.minimum_version, ctx.maximum_version) == (V.TLSv1_3, V.TLSv1_3)
    with pytest.raises(TLSConfigError) as info:
        build_server_context(_config(certs, tls_protocols="TLSv1.4"))
    assert str(info.value) == INVALID_PROTOCOLS


def test_ciphers(certs):
    ctx = build_server_context(_config(certs, tls_ciphers="ECDHE-RSA-AES128-GCM-SHA256"))
    tls12 = [c["name"] for c in ctx.get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12 == ["ECDHE-RSA-AES128-GCM-SHA256"]
    with pytest.raises(TLSConfigError, match="^Failed to configure ciphers: NOPE$"):
        build_server_context(_config(certs, tls_ciphers="NOPE"))


def test_ca_required_unless_auth_clients_no(certs):
    message = ("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
               "tls-replication or tls-auth-clients are enabled!")
    for setting in ("yes", "optional"):
        with pytest.raises(TLSConfigError) as info:
            build_server_context(_config(certs, tls_ca_cert_file="", tls_auth_clients=setting))
        assert str(info.value) == message
    build_server_context(_config(certs, tls_ca_cert_file="", tls_auth_clients="no"))


def test_ca_dir_is_enough(certs, tmp_path: Path):
    build_server_context(_config(certs, tls_ca_cert_file="", tls_ca_cert_dir=str(tmp_path)))


def test_missing_cert_or_key(certs):
    with pytest.raises(TLSConfigError, match="^No tls-cert-file configured!$"):
        build_server_context(_config(certs, tls_cert_file=""))
    with pytest.raises(TLSConfigError, match="^No tls-key-file configured!$"):
        build_server_context(_config(certs, tls_key_file=""))
    with pytest.raises(TLSConfigError, match="Failed to load certificate or private key"):
        build_server_context(_config(certs, tls_key_file=certs.client_key))  # does not match the certificate


def test_key_passphrase(certs):
    with pytest.raises(TLSConfigError, match="Failed to load certificate or private key"):
        build_server_context(_config(certs, tls_key_file=certs.server_key_encrypted, tls_key_file_pass="wrong"))
    build_server_context(_config(certs, tls_key_file=certs.server_key_encrypted, tls_key_file_pass=KEY_PASS))
    with pytest.raises(TLSConfigError):  # no passphrase: refused, never a prompt on the terminal
        build_server_context(_config(certs, tls_key_file=certs.server_key_encrypted))


def test_errors_are_os_errors():
    """The command line reports OSError from startup and exits 1, as Redis's "Failed to configure TLS"."""
    assert issubclass(TLSConfigError, OSError)
