"""sparkline.py against texts redis-server 7.0.15 drew for LATENCY GRAPH."""
from __future__ import annotations

from damselfly import sparkline


def test_two_samples_as_redis_draws_them() -> None:
    # LATENCY GRAPH command on redis-server after DEBUG SLEEP 0.05, a second, DEBUG SLEEP 0.02.
    assert sparkline.render([(50.0, "1s"), (20.0, "0s")], 80, 4) == "# \n| \n| \n|_\n  \n10\nss\n"


def test_one_sample_is_the_lowest_step() -> None:
    assert sparkline.render([(50.0, "0s")], 80, 4) == " \n \n \n_\n \n0\ns\n"


def test_heights_use_twelve_steps_and_truncate() -> None:
    # step = int(int((v - min) * 12) / (max - min)): 0, 1, 3, 5, 6, 8, 10, 12 -> clipped to 11
    out = sparkline.render([(float(v), "") for v in range(8)], 80, 4)
    assert out == "      o#\n    _#||\n  _#||||\n_o||||||\n"  # no labels: no spacer line


def test_unfilled_charset() -> None:
    assert sparkline.render([(0.0, ""), (1.0, ""), (2.0, "")], 80, 1, fill=False) == "_-`\n"


def test_labels_are_vertical_and_padded() -> None:
    out = sparkline.render([(1.0, "12s"), (1.0, "3m")], 80, 1)
    assert out == "__\n  \n13\n2m\ns \n"


def test_long_sequences_wrap_into_blocks() -> None:
    samples = [(float(i % 3), "") for i in range(5)]
    out = sparkline.render(samples, 2, 1)
    assert out == "_o\n\n#_\n\no\n"


def test_labels_in_another_block_still_give_a_spacer_line() -> None:
    out = sparkline.render([(0.0, ""), (0.0, "x")], 1, 1)
    assert out == "_\n \n\n_\n \nx\n"
