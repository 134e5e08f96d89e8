"""MEMORY STATS's breakdown and the memory doctor's decisions (src/damselfly/memory_report.py), from fake figures."""
from __future__ import annotations

import pytest

from damselfly import memory_report
from damselfly.memory_report import Overhead, doctor_report, stats_reply

MB = 1024 * 1024


def _figures(used: int = 8 * MB, rss: int | None = None, peak: int | None = None, clients: int = 6144,
             **more: int) -> Overhead:
    return Overhead(peak_allocated=peak if peak is not None else used, total_allocated=used, startup_allocated=3072,
                    clients_normal=clients, rss=rss if rss is not None else used, **more)


def test_breakdown_sums_and_libc_allocator_stand_ins() -> None:
    mh = _figures(used=10_000, rss=40_000, peak=20_000, dbs=[(0, 300, 100), (3, 50, 0)], total_keys=7)
    assert mh.overhead_total == 3072 + 6144 + 450
    assert mh.dataset == 10_000 - mh.overhead_total
    assert mh.bytes_per_key == (10_000 - 3072) // 7
    assert mh.allocator_allocated == 10_000 and mh.allocator_active == mh.allocator_resident == 40_000
    assert mh.allocator_frag == mh.total_frag == 4.0 and mh.allocator_frag_bytes == mh.total_frag_bytes == 30_000
    assert (mh.allocator_rss, mh.allocator_rss_bytes, mh.rss_extra, mh.rss_extra_bytes) == (1.0, 0, 1.0, 0)
    assert mh.peak_perc == 50.0


def test_ratios_have_c_float_precision() -> None:
    mh = _figures(used=3, rss=1, peak=7)
    assert mh.peak_perc == 42.857143402099609  # 300/7 as a C float, not 42.857142857142854
    assert mh.total_frag == 0.3333333432674408


def test_net_usage_never_divides_by_zero() -> None:
    mh = _figures(used=1000, peak=0, total_keys=0)  # below start-up
    assert mh.net_usage == 1 and mh.bytes_per_key == 0 and mh.peak_perc == 0.0
    assert _figures(used=0, rss=5).total_frag == 0.0


def test_stats_reply_order_and_db_maps() -> None:
    reply = stats_reply(_figures(dbs=[(2, 10, 20)], total_keys=1))
    keys = list(reply)
    assert keys[:10] == [b"peak.allocated", b"total.allocated", b"startup.allocated", b"replication.backlog",
                         b"clients.slaves", b"clients.normal", b"cluster.links", b"aof.buffer", b"lua.caches",
                         b"functions.caches"]
    assert keys[10] == b"db.2" and reply[b"db.2"] == {
        b"overhead.hashtable.main": 10, b"overhead.hashtable.expires": 20, b"overhead.hashtable.slot-to-keys": 0}
    assert keys[11:] == [b"overhead.total", b"keys.count", b"keys.bytes-per-key", b"dataset.bytes",
                         b"dataset.percentage", b"peak.percentage", b"allocator.allocated", b"allocator.active",
                         b"allocator.resident", b"allocator-fragmentation.ratio", b"allocator-fragmentation.bytes",
                         b"allocator-rss.ratio", b"allocator-rss.bytes", b"rss-overhead.ratio", b"rss-overhead.bytes",
                         b"fragmentation", b"fragmentation.bytes"]
    doubles = {k for k, v in reply.items() if isinstance(v, float)}
    assert doubles == {b"dataset.percentage", b"peak.percentage", b"allocator-fragmentation.ratio",
                       b"allocator-rss.ratio", b"rss-overhead.ratio", b"fragmentation"}
    assert len(reply) == 27 + 1


# -- the doctor ----------------------------------------------------------------------------

def test_under_five_megabytes_is_empty_whatever_else() -> None:
    mh = _figures(used=5 * MB - 1, rss=500 * MB, peak=100 * MB, clients=100 * MB)
    assert doctor_report(mh, clients=1) == memory_report._EMPTY
    assert doctor_report(mh, clients=1).startswith("Hi Sam, this instance is empty")


def test_healthy_instance() -> None:
    assert doctor_report(_figures(used=5 * MB, rss=6 * MB), clients=3) == memory_report._NO_ISSUES


def _paragraphs(report: str) -> list[str]:
    assert report.startswith(memory_report._HEADER) and report.endswith(memory_report._CLOSING)
    body = report[len(memory_report._HEADER):-len(memory_report._CLOSING)]
    return [p.split(":", 1)[0] for p in body.split("\n\n") if p]


def test_peak_over_150_percent() -> None:
    assert _paragraphs(doctor_report(_figures(used=8 * MB, peak=13 * MB), clients=1)) == [" * Peak memory"]
    assert doctor_report(_figures(used=8 * MB, peak=12 * MB), clients=1) == memory_report._NO_ISSUES


@pytest.mark.parametrize("rss, expected", [
    (18 * MB, []),  # 2.25x but not more than 10 MB over: ratio and bytes must both be high
    (20 * MB, [" * High total RSS", " * High allocator fragmentation"]),  # 2.5x, 12 MB over
])
def test_fragmentation_needs_ratio_and_ten_megabytes(rss: int, expected: list[str]) -> None:
    report = doctor_report(_figures(used=8 * MB, rss=rss), clients=1)
    assert (_paragraphs(report) if expected else [report]) == (expected or [memory_report._NO_ISSUES])


def test_allocator_fragmentation_alone_between_1_1_and_1_4() -> None:
    mh = _figures(used=80 * MB, rss=100 * MB)  # 1.25x, 20 MB over
    assert _paragraphs(doctor_report(mh, clients=1)) == [" * High allocator fragmentation"]


def test_high_total_rss_names_the_allocator() -> None:
    report = doctor_report(_figures(used=8 * MB, rss=80 * MB), clients=1)
    assert 'Note: The currently used allocator is "pymalloc".\n\n' in report


def test_big_client_buffers_average_over_all_clients() -> None:
    mh = _figures(used=8 * MB, clients=3 * 200 * 1024 + 3)
    assert _paragraphs(doctor_report(mh, clients=3)) == [" * Big client buffers"]
    assert doctor_report(mh, clients=4) == memory_report._NO_ISSUES
    assert doctor_report(mh, clients=0) != memory_report._NO_ISSUES  # no division by zero


def test_replicas_and_scripts_in_redis_order() -> None:
    mh = _figures(used=8 * MB, peak=20 * MB, clients=300 * 1024, clients_slaves=11 * MB)
    assert _paragraphs(doctor_report(mh, clients=2, replicas=1, scripts=1001)) == [
        " * Peak memory", " * Big replica buffers", " * Big client buffers", " * Many scripts"]
    # without replicas the replica buffers are not reported, and both connections share the clients' figure
    assert _paragraphs(doctor_report(mh, clients=2, replicas=0, scripts=1000)) == [" * Peak memory"]
    assert _paragraphs(doctor_report(mh, clients=1, replicas=0)) == [" * Peak memory", " * Big client buffers"]
