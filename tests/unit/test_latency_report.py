"""LATENCY GRAPH and DOCTOR texts (latency_report.py), with a manual clock.

The expected texts are redis-server 7.0.15's, taken from a live server with
the same samples.
"""
from __future__ import annotations

from damselfly import latency_report
from damselfly.config import Config
from damselfly.latency import EventSeries

NOW = 1_700_000_000

COMMAND_ADVICE = (
    "- Your current Slow Log configuration only logs events that are slower than your configured latency "
    "monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than 1000'.\n"
    "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. "
    "Please check https://redis.io/commands/slowlog for more information.\n"
    "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If "
    "you have very large objects that are often deleted, expired, or evicted, try to fragment those objects "
    "into multiple smaller objects.\n")


def series(*samples: tuple[int, int]) -> EventSeries:
    s = EventSeries()
    for when, latency in samples:
        s.add(when, latency)
    return s


def config(**options: str) -> Config:
    c = Config()
    for name, value in options.items():
        c.set(name.replace("_", "-"), value)
    return c


def test_graph_as_redis_draws_it() -> None:
    text = latency_report.graph(b"command", series((NOW - 1, 50), (NOW, 20)), NOW)
    assert text == ("command - high 50 ms, low 20 ms (all time high 50 ms)\n" + "-" * 80 + "\n"
                    "# \n| \n| \n|_\n  \n10\nss\n")


def test_graph_labels_ages_in_the_largest_unit() -> None:
    s = series((NOW - 2 * 86400, 1), (NOW - 7200, 1), (NOW - 125, 1), (NOW - 59, 1))
    lines = latency_report.graph(b"x", s, NOW).split("\n")
    assert lines[7:] == ["2225", "dhm9", "   s", ""]  # 2d, 2h, 2m, 59s


def test_graph_header_keeps_the_all_time_high() -> None:
    s = series((NOW - 1, 90))
    for second in range(NOW - 200, NOW - 200 + 160):
        s.add(second, 2)
    assert latency_report.graph(b"command", s, NOW).startswith(
        "command - high 2 ms, low 2 ms (all time high 90 ms)\n")


def test_doctor_disabled_and_never_enabled() -> None:
    assert latency_report.doctor({}, config(), NOW, 0) == (
        "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
        "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep "
        "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n")


def test_doctor_enabled_without_spikes() -> None:
    assert latency_report.doctor({}, config(latency_monitor_threshold="1"), NOW, 0) == (
        "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
        "bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n")


def test_doctor_reports_events_even_when_monitoring_was_turned_off() -> None:
    events = {b"command": series((NOW - 1, 50))}
    assert latency_report.doctor(events, config(), NOW, 0).startswith("Dave, I have observed")


def test_doctor_command_event_as_redis_writes_it() -> None:
    events = {b"command": series((NOW - 1, 50), (NOW, 20))}
    assert latency_report.doctor(events, config(latency_monitor_threshold="1"), NOW, 0) == (
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you "
        "Dave?\n\n"
        "1. command: 2 latency spikes (average 35ms, mean deviation 15ms, period 0.50 sec). Worst all time "
        "event 50ms.\n"
        "\nI have a few advices for you:\n\n" + COMMAND_ADVICE)


def test_doctor_slowlog_advice_depends_on_its_threshold() -> None:
    events = {b"command": series((NOW, 50))}
    off = latency_report.doctor(events, config(latency_monitor_threshold="3", slowlog_log_slower_than="-1"), NOW, 0)
    assert ("Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 3000'. "
            "If the Slow log is disabled Redis is not able to log slow commands execution for you.\n") in off
    assert "Your current Slow Log configuration" not in off
    low = latency_report.doctor(events, config(latency_monitor_threshold="3", slowlog_log_slower_than="3999"), NOW, 0)
    assert "Slow Log configuration" not in low and "enable the Slow Log" not in low  # 3999 // 1000 == 3
    assert "Check your Slow Log" in low


def test_doctor_statistics_use_integer_arithmetic() -> None:
    s = series((NOW - 9, 10), (NOW - 5, 11), (NOW, 15))  # avg 12, mad (2 + 1 + 3) // 3 = 2, period 9 / 3
    text = latency_report.doctor({b"fast-command": s}, config(latency_monitor_threshold="1"), NOW, 0)
    assert "1. fast-command: 3 latency spikes (average 12ms, mean deviation 2ms, period 3.00 sec). " \
           "Worst all time event 15ms.\n" in text
    assert "- The system is slow to execute Redis code paths not containing system calls." in text
    assert "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc" in text


def test_doctor_period_is_at_least_one_second() -> None:
    text = latency_report.doctor({b"fast-command": series((NOW, 4))}, config(latency_monitor_threshold="1"), NOW, 0)
    assert "period 1.00 sec" in text


def test_doctor_numbers_events_and_orders_advice_as_redis() -> None:
    events = {b"expire-cycle": series((NOW, 5)), b"eviction-cycle": series((NOW, 6)),
              b"eviction-del": series((NOW, 7))}
    text = latency_report.doctor(events, config(latency_monitor_threshold="1", hz="10"), NOW, 0)
    assert "\n1. expire-cycle: " in text and "\n2. eviction-cycle: " in text and "\n3. eviction-del: " in text
    advice = text.split("I have a few advices for you:\n\n")[1]
    assert advice.index("'CONFIG SET hz 100'") < advice.index("large objects is a blocking") \
        < advice.index("Sudden changes to the 'maxmemory' setting")
    assert advice.count("large objects is a blocking") == 1


def test_doctor_hz_advice_counts_even_when_hz_is_high_enough() -> None:
    # Redis counts the advice, so it prints the header, and prints the hz line only under hz 100.
    text = latency_report.doctor({b"expire-cycle": series((NOW, 5))},
                                 config(latency_monitor_threshold="1", hz="100"), NOW, 0)
    assert "I have a few advices for you" in text and "CONFIG SET hz 100" not in text


def test_doctor_unknown_event_gets_no_advice() -> None:
    text = latency_report.doctor({b"other": series((NOW, 5))}, config(latency_monitor_threshold="1"), NOW, 0)
    assert text.endswith(
        "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis "
        "community to get some help, providing this report in your help request.\n")


def test_doctor_huge_pages_advice_without_events() -> None:
    text = latency_report.doctor({}, config(latency_monitor_threshold="1"), NOW, 2 * 1024 * 1024)
    assert text.startswith("\nI have a few advices for you:\n\n- I detected a non zero amount of anonymous huge pages")


def test_anon_huge_pages_reads_this_process() -> None:
    assert latency_report.anon_huge_pages() >= 0
