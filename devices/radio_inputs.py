"""Sensor inputs of a radio node (a ZigBee kit board, a LoRaWAN node): the same drivers as the gateway's.

A node has one analog input ``ai1`` (a 12-bit ADC on 0-5 V, or 4-20 mA through a 250 Ω shunt), one
digital input ``di1``, one single-wire pin ``dio1`` (DHT11/DHT22) and an I2C master ``i2c``. Each
reading cycle reads every wired part by its own driver and returns what it got, so the node can
put it in a radio payload; a part that cannot be read is reported once as an ``event`` with the
problem, as the gateway does.
"""

from __future__ import annotations

from sim.ports import bus, input_of

from .analog_in import Channel
from .i2c import I2CMaster
from .sensing import BadReading


def sensor_ports() -> dict:
    return {
        "ai1": input_of("analog_v", "current_loop", doc="analog input (12-bit ADC, 0-5 V or 4-20 mA)"),
        "di1": input_of("digital", doc="digital input"),
        "dio1": input_of("single_wire", doc="single-wire pin (DHT11/DHT22)"),
        "i2c": bus("i2c", "I2C master"),
    }


class SensorInputs:
    """Mixed into a radio node before ``Device``; call ``inputs_start()`` from ``start()``."""

    def inputs_start(self) -> None:
        self._inputs: list[tuple] = []
        for name in ("ai1", "di1", "dio1"):
            if name in self.ports and self.links[name]:
                link = self.links[name][0]
                dev, dev_port = link.peer(self)
                self._inputs.append((name, link, dev, dev_port,
                                     Channel(dev, dev_port, None, 250.0, 12) if name == "ai1" else None))
        self._i2c = I2CMaster(self, "i2c", self._i2c_report, self._input_problem) if "i2c" in self.ports else None
        self._i2c_got: list[tuple[str, dict]] = []
        self._input_bad: dict[str, str] = {}

    def sensor_devices(self) -> list:
        """The parts wired to this node, in reading order."""
        parts = [dev for _, _, dev, _, _ in self._inputs]
        return parts + (list(self._i2c.parts) if self._i2c else [])

    def acquire(self):
        """Generator (SimPy events): read every wired part; returns ``[(part id, readings), ...]``."""
        out: list[tuple[str, dict]] = []
        for name, link, dev, dev_port, channel in self._inputs:
            try:
                if name == "ai1":
                    values = channel.read(link.broken)
                elif name == "di1":
                    decode = dev.decoder(dev_port) if hasattr(dev, "decoder") else dev.decode
                    values = decode(0 if link.broken else dev.output(dev_port))
                else:
                    frame = None if link.broken else dev.read_frame()
                    if frame is None:
                        raise BadReading("no response on the single-wire pin", link=True)
                    values = dev.decode(frame)
            except BadReading as exc:
                self._input_problem(dev.id, name, str(exc), exc.link)
                continue
            self._input_ok(dev.id, name)
            out.append((dev.id, values))
        if self._i2c is not None and self._i2c.parts:
            self._i2c_got = []
            yield from self._i2c.cycle()
            out.extend(self._i2c_got)
        return out

    def _i2c_report(self, dev, port: str, raw, t=None) -> None:
        try:
            values = dev.decode(raw)
        except BadReading as exc:
            self._input_problem(dev.id, port, str(exc), exc.link)
            return
        self._input_ok(dev.id, port)
        self._i2c_got.append((dev.id, values))

    def _input_problem(self, src: str, port: str, why: str, link_lost: bool = False) -> None:
        if self._input_bad.get(src) != why:
            self._input_bad[src] = why
            self.sim.emit(src, "event", via=self.id, input=port, error=why)

    def _input_ok(self, src: str, port: str) -> None:
        if src in self._input_bad:
            del self._input_bad[src]
            self.sim.emit(src, "event", via=self.id, input=port, restored=True)
