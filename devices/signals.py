"""Analog output stages that several parts share: the NAMUR NE43 4-20 mA loop and resistor dividers."""

from __future__ import annotations

from .sensing import BadReading

#: NE43: a healthy transmitter keeps its output inside this band (under- and over-range signalling) ...
LOOP_SATURATION_MA = (3.8, 20.5)
#: ... and a current outside this band means a failure: below, a broken wire; above, a transmitter fault.
LOOP_FAILURE_MA = (3.6, 21.0)


def loop_current(value: float, lo: float, hi: float) -> float:
    """Loop current, mA, for ``value`` on a ``lo``..``hi`` span (4 mA at ``lo``, 20 mA at ``hi``)."""
    ma = 4.0 + 16.0 * (value - lo) / (hi - lo)
    return min(LOOP_SATURATION_MA[1], max(LOOP_SATURATION_MA[0], ma))


def loop_value(ma: float, lo: float, hi: float) -> float:
    """The value a loop current stands for; BadReading for an NE43 failure current."""
    if ma < LOOP_FAILURE_MA[0]:
        raise BadReading(f"loop current {ma:.2f} mA < 3.6 mA: broken wire or no loop power (NAMUR NE43)",
                         link=True)
    if ma > LOOP_FAILURE_MA[1]:
        raise BadReading(f"loop current {ma:.2f} mA > 21 mA: transmitter fault (NAMUR NE43)")
    return lo + (ma - 4.0) / 16.0 * (hi - lo)


def divider_v(vcc: float, r_top: float, r_bottom: float) -> float:
    """The midpoint voltage of a divider: ``r_top`` to the supply, ``r_bottom`` to ground."""
    return vcc * r_bottom / (r_top + r_bottom)


def bottom_r(volts: float, vcc: float, r_top: float) -> float:
    """The lower resistor of a divider from its midpoint voltage (0 < volts < vcc)."""
    return r_top * volts / (vcc - volts)


def top_r(volts: float, vcc: float, r_bottom: float) -> float:
    """The upper resistor of a divider from its midpoint voltage (0 < volts < vcc)."""
    return r_bottom * (vcc - volts) / volts


def no_signal(volts: float, what: str) -> BadReading:
    """The error for an analog input at 0 V where the part always gives some voltage."""
    return BadReading(f"{what} output reads {volts:.3f} V: no supply, a broken wire or a dead part", link=True)
