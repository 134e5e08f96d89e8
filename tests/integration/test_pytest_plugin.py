"""The pytest11 plugin, exercised through pytest's own pytester."""
from __future__ import annotations

import pytest


def test_fixtures_work_and_isolate_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
                     "damselfly_config =\n    databases 4\n")
    pytester.makepyfile("""
        import pytest, redis

        def test_first(redis_client, damselfly_url):
            assert damselfly_url.startswith("redis://127.0.0.1:")
            redis_client.set("leftover", "1")
            with pytest.raises(redis.ResponseError, match="out of range"):
                redis_client.execute_command("SELECT", 4)  # ini option: databases 4

        def test_second_sees_empty_keyspace(redis_client):
            assert redis_client.get("leftover") is None

        async def test_async_client(async_redis_client):
            await async_redis_client.set("x", "y")
            assert await async_redis_client.get("x") == b"y"
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_protocol_option_selects_resp3(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_resp3(redis_client):
            assert redis_client.connection_pool.connection_kwargs["protocol"] == 3
            redis_client.set("k", "v")
            assert redis_client.get("k") == b"v"
    """)
    result = pytester.runpytest_subprocess("--damselfly-protocol", "3", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_cli_config_and_ini_protocol_apply(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ndamselfly_protocol = 3\n")
    pytester.makepyfile("""
        def test_options(redis_client):
            assert redis_client.connection_pool.connection_kwargs["protocol"] == 3
            assert redis_client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    """)
    result = pytester.runpytest_subprocess("--damselfly-config", "maxmemory-policy=allkeys-lru",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_bad_server_option_is_one_usage_error_naming_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        def test_never_runs(redis_client):
            raise AssertionError("the session must not start")
    """)
    result = pytester.runpytest_subprocess("--damselfly-config", "maxmemory-policy=nope",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--damselfly-config*'maxmemory-policy' cannot be 'nope'*one of the following*"])
