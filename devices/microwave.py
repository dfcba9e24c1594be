"""A microwave oven: the classic 2.4 GHz interference source of a lab near the staff kitchen.

While it runs, its magnetron leaks broadband noise around 2.45 GHz (about 2430-2470 MHz). Every
2.4 GHz receiver whose channel overlaps that band hears it as a raised noise floor, weaker with
distance and walls like any signal: ZigBee channels 16-24 and Wi-Fi channels 3-13 are hit, ZigBee
11-15 and 25-26 and Wi-Fi channels 1-2 are clear. Near it, frames are lost (reason ``noise``) and CSMA
finds the channel busy. The magnetron of a real oven runs on half of each mains cycle; here the
leak is continuous while the oven runs, the worst case.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sim.device import Device, DeviceParams
from sim.ports import input_of
from sim.radio import medium
from sim.scenario.spec import Duration, Spec

CENTRE_HZ, WIDTH_HZ = 2.45e9, 40e6


class Run(Spec):
    """One use of the oven."""
    at: Duration = Field(description="when it is switched on (a duration from the start)", examples=["2m"])
    duration: Duration = Field(description="how long it runs", examples=["90s"])


class MicrowaveParams(DeviceParams):
    leak_dbm: float = Field(10.0, ge=-30, le=30, description="radiated leakage while running (EIRP over "
                            "2430-2470 MHz), dBm")
    running: bool = Field(False, description="running at the start")
    runs: list[Run] = Field(default_factory=list, description="when it is used: [{at: 2m, duration: 90s}, ...]",
                            examples=[[{"at": "2m", "duration": "90s"}]])
    SUPPLY_RANGE_V: ClassVar = (198.0, 242.0)


class MicrowaveOven(Device):
    """Microwave oven: broadband 2.4 GHz noise while it runs."""
    FAMILY = "interference"
    TITLE = "Microwave oven (2.4 GHz interference source)"
    TITLE_ZH = "微波炉 (2.4 GHz 干扰源)"
    SUPPLY_RANGE_V, CURRENT_MA = (198.0, 242.0), 5000.0
    Params = MicrowaveParams
    COMMANDS = {"start": "switch it on", "stop": "switch it off"}

    @classmethod
    def port_specs(cls, params):
        return {"power": input_of("switched", doc="mains plug; wired to a relay contact, it runs only while "
                                  "the contact is closed (unwired: always in the socket)")}

    def start(self) -> None:
        self.noise = medium(self.sim).add_noise(self, "2g4", CENTRE_HZ, WIDTH_HZ, self.p.leak_dbm)
        self.running = False
        self.wanted = False
        self.supplied = not self.links["power"]
        if self.p.running:
            self._set(True)
        for run in self.p.runs:
            self.sim.env.process(self._use(run.at, run.duration))

    def _use(self, at: float, duration: float):
        env = self.sim.env
        yield env.timeout(max(0.0, at - env.now))
        self._set(True)
        yield env.timeout(duration)
        self._set(False)

    def on_supply(self, port: str, on: bool) -> None:
        self.supplied = on
        self._set(self.wanted)

    def _set(self, on: bool) -> None:
        self.wanted = on
        on = on and self.powered and self.supplied
        if on == self.running:
            return
        self.running = on
        self.noise.on = on
        self.emit("output", on=on)

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        if getattr(self, "noise", None) is not None:
            self._set(self.wanted if on else False)

    def command(self, name, args):
        if name not in self.COMMANDS:
            return super().command(name, args)
        if name == "start" and not self.powered:
            raise ValueError(f"{self.id} has no power")
        self._set(name == "start")
        return {"ok": True, "running": self.running, "supplied": self.supplied}
