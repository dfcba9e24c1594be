"""Loads a relay switches: a lamp, a fan, a buzzer. They act on the room, so a linkage rule closes a loop.

Each has a ``power`` input fed by a relay contact. A lamp adds light at once; a fan
takes heat and moisture out of the room over a few minutes; a buzzer only sounds.
Their effect goes through the room environment, so every sensor sees it.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sim import FaultSpec
from sim.device import Device, DeviceParams
from sim.ports import input_of


class ActuatorParams(DeviceParams):
    SUPPLY_RANGE_V: ClassVar = (0.0, 250.0)


class Actuator(Device):
    TRACE_FIELDS = ("on",)
    FAMILY = "actuators"
    FAULTS = {"burnt_out": FaultSpec("burnt_out", "the load is dead: its relay clicks but nothing happens")}
    #: quantity -> (change while running, ramp s)
    EFFECTS: ClassVar[dict[str, tuple[str, float]]] = {}
    Params = ActuatorParams

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self.supplied = False
        self.running = False

    @classmethod
    def port_specs(cls, params):
        return {"power": input_of("switched", doc="supply through a relay contact")}

    def effects(self) -> dict[str, tuple[float, float]]:
        """quantity -> (shift while running, ramp s), from the parameters."""
        return {}

    def on_supply(self, port: str, on: bool) -> None:
        self.supplied = on
        self._update()

    def fault_on(self, spec, params, port) -> None:
        super().fault_on(spec, params, port)
        self._update()

    def fault_off(self, spec, port) -> None:
        super().fault_off(spec, port)
        self._update()

    def _update(self) -> None:
        running = self.supplied and self.powered and not self.has_fault("burnt_out")
        if running == self.running:
            return
        self.running = running
        self.emit("output", on=running)
        room, now = self.sim.environment, self.sim.now
        for quantity, (delta, ramp_s) in self.effects().items():
            room.influence(quantity, delta if running else -delta, now, ramp_s)


class LampParams(ActuatorParams):
    lux: float = Field(300.0, ge=0, le=100000, description="light it adds to the room when on, lx")
    power_w: float = Field(18.0, gt=0, le=5000, description="its power, W")


class Lamp(Actuator):
    TITLE, TITLE_ZH = "Lamp (switched by a relay)", "照明灯 (继电器控制)"
    Params = LampParams

    def effects(self):
        return {"illuminance": (self.p.lux, 0.0)}


class FanParams(ActuatorParams):
    cooling_c: float = Field(2.0, ge=0, le=20, description="how much it cools the room once it has run a while, °C")
    drying_rh: float = Field(5.0, ge=0, le=50, description="how much it lowers the humidity, %RH")
    fresh_air_ppm: float = Field(200.0, ge=0, le=5000, description="how much it lowers the CO2 by bringing "
                                 "in outside air, ppm")
    ramp_s: float = Field(180.0, ge=0, le=3600, description="how long it takes to have that effect, s")
    power_w: float = Field(40.0, gt=0, le=5000, description="its power, W")


class Fan(Actuator):
    TITLE, TITLE_ZH = "Exhaust fan (switched by a relay)", "排风扇 (继电器控制)"
    Params = FanParams

    def effects(self):
        return {"temperature": (-self.p.cooling_c, self.p.ramp_s), "humidity": (-self.p.drying_rh, self.p.ramp_s),
                "co2": (-self.p.fresh_air_ppm, self.p.ramp_s)}


class Buzzer(Actuator):
    TITLE, TITLE_ZH = "Buzzer / alarm light (switched by a relay)", "声光报警器 (继电器控制)"
