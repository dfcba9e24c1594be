import pytest

from sim.units import format_duration, parse_duration


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("500ms", 0.5),
    ("1.5h", 5400), (" 10 m ", 600), (45, 45), (2.5, 2.5), ("30", 30), ("0s", 0), ("2min", 120),
])
def test_durations_read_as_people_write_them(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["soon", "10x", "m10", "-5s", "", "1h-3m", True, float("nan"), -1, "10m garbage"])
def test_bad_durations_say_what_is_allowed(bad):
    with pytest.raises(ValueError, match="90s, 10m"):
        parse_duration(bad)


@pytest.mark.parametrize("seconds, text", [(59.5, "59.5s"), (600, "10m"), (5400, "1h30m"), (90061, "1d1h1m1s")])
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
