"""The DHT single-wire protocol in time: what the DATA line does, and how a host reads it back.

After the host's start signal the sensor pulls the line low for 80 µs and releases it for 80 µs,
then sends 40 bits, each a 50 µs low followed by a high of 26-28 µs (a 0) or 70 µs (a 1), and
ends with a 50 µs low. A host times each high: longer than 40 µs is a 1. A line whose pull-up
is missing rises slowly, so every high is shorter than sent and 1s read as 0s.
"""

from __future__ import annotations

RESPONSE_US = (80.0, 80.0)
BIT_LOW_US, ZERO_HIGH_US, ONE_HIGH_US, END_LOW_US = 50.0, 27.0, 70.0, 50.0
THRESHOLD_US = 40.0


def waveform(frame: bytes, rise_us: float = 0.0, rng=None) -> list[tuple[int, float]]:
    """(level, microseconds) of the DATA line for ``frame``, as the host sees it. ``rise_us``: time a slow
    rising edge takes from each high pulse, varying from pulse to pulse (±25 %, from ``rng``)."""
    lost = (lambda: rise_us * (0.75 + 0.5 * rng.random())) if rise_us and rng is not None else (lambda: rise_us)
    pulses = [(0, RESPONSE_US[0]), (1, max(0.0, RESPONSE_US[1] - lost()))]
    for byte in frame:
        for bit in range(7, -1, -1):
            high = ONE_HIGH_US if byte >> bit & 1 else ZERO_HIGH_US
            pulses += [(0, BIT_LOW_US), (1, max(0.0, high - lost()))]
    pulses.append((0, END_LOW_US))
    return pulses


def read(pulses: list[tuple[int, float]]) -> bytes | str:
    """The bytes a host decodes from ``pulses``, or why it cannot ("no_response", "short_frame")."""
    if len(pulses) < 2 or pulses[0][0] != 0 or pulses[1][0] != 1 or pulses[1][1] < THRESHOLD_US:
        return "no_response"
    highs = [us for level, us in pulses[2:] if level == 1]
    if len(highs) < 40:
        return "short_frame"
    bits = [1 if us > THRESHOLD_US else 0 for us in highs[:40]]
    return bytes(sum(bit << (7 - i) for i, bit in enumerate(bits[k:k + 8])) for k in range(0, 40, 8))
