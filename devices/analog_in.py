"""Analog inputs as a gateway or a DAQ module has them: a terminal, a sense resistor, a range, an ADC.

The ADC always measures the voltage across the input terminals. Where a current loop
is wired, a sense resistor is fitted across them (the installer does it with the
wiring: 250 Ω on the gateway, 125 Ω on an ADAM-style module), so the loop current
shows as a voltage. The channel's *range* is configuration: it says how the voltage
is read (``0-10V``: as volts; ``4-20mA``: as volts / shunt). A range that does not
match the part shows the bench symptom a student meets: a 4-20 mA loop read on a
0-10 V range reads low (1-5 V of 10); a voltage output read on a 4-20 mA range has no
sense resistor to push current through and reads as a broken loop (< 3.6 mA, NAMUR NE43).
"""

from __future__ import annotations

from typing import Literal

from .sensing import BadReading

#: range -> (unit, nominal low, nominal high, ADC low, ADC high). Current ranges measure
#: to 24 mA so NAMUR NE43 under- and over-range signalling stays visible.
RANGES: dict[str, tuple[str, float, float, float, float]] = {
    "0-5V": ("V", 0.0, 5.0, 0.0, 5.0),
    "0-10V": ("V", 0.0, 10.0, 0.0, 10.0),
    "±2.5V": ("V", -2.5, 2.5, -2.5, 2.5),
    "±5V": ("V", -5.0, 5.0, -5.0, 5.0),
    "±10V": ("V", -10.0, 10.0, -10.0, 10.0),
    "4-20mA": ("mA", 4.0, 20.0, 0.0, 24.0),
    "0-20mA": ("mA", 0.0, 20.0, 0.0, 24.0),
    "±20mA": ("mA", -20.0, 20.0, -24.0, 24.0),
}
Range = Literal[tuple(RANGES)]


def signal_of(part, port: str) -> tuple[str, float, float]:
    """The electrical range of a part's output: its ``SIGNAL`` or, without one, its port's form."""
    signal = getattr(part, "SIGNAL", None)
    if signal is not None:
        return signal
    return ("mA", 4.0, 20.0) if part.ports[port].form == "current_loop" else ("V", 0.0, 10.0)


def default_range(part, port: str) -> str:
    """The range a configuration tool would pick for this part: the narrowest that holds its signal."""
    unit, lo, hi = signal_of(part, port)
    if unit == "mA":
        return "4-20mA" if lo >= 4.0 else "0-20mA"
    if lo >= 0.0:
        return "0-5V" if hi <= 5.0 else "0-10V"
    return "±5V" if max(-lo, hi) <= 5.0 else "±10V"


class Channel:
    """One analog input with a part wired to it."""
    __slots__ = ("part", "port", "range", "unit", "lo", "hi", "adc_lo", "adc_hi", "lsb", "loop", "shunt",
                 "part_unit", "part_lo", "part_span", "read")

    def __init__(self, part, port: str, range_name: str | None, shunt_ohm: float, adc_bits: int) -> None:
        self.part, self.port = part, port
        self.range = range_name or default_range(part, port)
        self.unit, self.lo, self.hi, self.adc_lo, self.adc_hi = RANGES[self.range]
        self.lsb = (self.adc_hi - self.adc_lo) / 2 ** adc_bits
        self.loop = part.ports[port].form == "current_loop"
        self.shunt = shunt_ohm
        self.part_unit, self.part_lo, hi = signal_of(part, port)
        self.part_span = hi - self.part_lo
        if not self.loop and self.unit == self.part_unit == "V":
            self.read = self._voltage_reader()
        else:
            self.read = self._read

    def _voltage_reader(self):
        """The common case (a voltage output on a voltage range), as one closure: a gateway with a
        thousand inputs reads them a thousand times a second."""
        output, port, decode, lo, hi, lsb = self.part.output, self.port, self.part.decode, \
            self.adc_lo, self.adc_hi, self.lsb

        def read(broken: bool) -> dict:
            x = 0.0 if broken else output(port)
            x = lo if x < lo else hi if x > hi else x
            return decode(lo + round((x - lo) / lsb) * lsb)
        return read

    def terminal_volts(self, broken: bool) -> float:
        """The voltage across the input terminals now (0 with the wire cut)."""
        if broken:
            return 0.0
        x = self.part.output(self.port)
        return x * self.shunt / 1000.0 if self.loop else x

    def convert(self, volts: float) -> float:
        """What the ADC reports in the range's unit: clipped to its span, quantised to its LSB."""
        x = volts * 1000.0 / self.shunt if self.unit == "mA" else volts
        x = self.adc_lo if x < self.adc_lo else self.adc_hi if x > self.adc_hi else x
        return self.adc_lo + round((x - self.adc_lo) / self.lsb) * self.lsb

    def measure(self, volts: float) -> float:
        """``convert``, with a 4-20 mA range's NAMUR NE43 limits checked (raises BadReading)."""
        x = self.convert(volts)
        if self.range == "4-20mA":
            if x < 3.6:
                raise BadReading(f"{x:.2f} mA < 3.6 mA on a 4-20 mA input: broken wire, no loop power "
                                 "or not a current output (NAMUR NE43)", link=True)
            if x > 21.0:
                raise BadReading(f"{x:.2f} mA > 21 mA on a 4-20 mA input: transmitter fault or not a "
                                 "current output (NAMUR NE43)")
        return x

    def in_part_unit(self, x: float) -> float:
        """The measured value as the part's driver reads it: as is when the range's unit is the part's;
        otherwise the range's span is taken for the part's span (what a misconfigured channel does)."""
        if self.unit == self.part_unit:
            return x
        return self.part_lo + (x - self.lo) / (self.hi - self.lo) * self.part_span

    def _read(self, broken: bool) -> dict:
        """The part's reading through this channel (raises BadReading)."""
        return self.part.decode(self.in_part_unit(self.measure(self.terminal_volts(broken))))
