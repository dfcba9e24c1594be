"""What every sensor shares: a sensing element that follows the room, as its datasheet says.

Per measured quantity: range, resolution, accuracy (a fixed per-part error drawn
once from the device's own random stream), noise, and a first-order response lag
(optionally slower when the value falls, as a gas sensor or a wet probe recovers).
Faults (stuck, bias, drift, noise, spikes, slow_response) act on the sensing element,
so every output form (voltage, current, bytes) shows them the way the real part would;
``dead`` silences the output stage: it sits at its electrical rest level (0 V, 0 mA, no
answer on a bus) while the part is still powered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from pydantic import Field

from sim import DeviceParams, FaultParams, FaultSpec, normals
from sim.device import Device


@dataclass(frozen=True)
class Measure:
    quantity: str          # environment quantity: temperature, humidity, illuminance ...
    field: str             # trace field, unit in the name: temperature_c, humidity_rh ...
    lo: float              # measuring range
    hi: float
    resolution: float
    accuracy: float = 0.0  # ± absolute error of a part (bias spread)
    gain_error: float = 0.0  # ± relative error of a part (e.g. 0.2 for ±20 %)
    noise: float = 0.0     # standard deviation of one reading
    response_s: float = 0.0  # first-order time constant
    fall_s: float = 0.0    # time constant while the value falls, if slower (0: response_s)

    @property
    def digits(self) -> int:
        return max(0, -math.floor(math.log10(self.resolution) + 1e-9))


class _Element:
    """The state of one sensing element: its lag filter and its part-to-part error."""
    __slots__ = ("quantity", "tau", "fall", "noise", "lo", "hi", "bias", "gain", "y", "t", "dt", "a")

    def __init__(self, m: Measure, bias: float, gain: float) -> None:
        self.quantity, self.tau, self.noise, self.lo, self.hi = m.quantity, m.response_s, m.noise, m.lo, m.hi
        self.fall = m.fall_s
        self.bias, self.gain = bias, gain
        self.y: float | None = None
        self.t, self.dt, self.a = 0.0, -1.0, 0.0


class SensorParams(DeviceParams):
    """Parameters every sensor takes (the supply, from DeviceParams); parts add theirs."""


class Stuck(FaultParams):
    value: float | None = Field(None, description="the value it sticks at; unset: the reading when the fault starts")
    field: str | None = Field(None, description="which reading, e.g. humidity_rh; unset: every reading")


class Bias(FaultParams):
    offset: float = Field(description="added to the reading, in its unit")
    field: str | None = Field(None, description="which reading; unset: every reading")


class Drift(FaultParams):
    rate_per_h: float = Field(description="how fast the error grows, reading units per hour")
    field: str | None = Field(None, description="which reading; unset: every reading")


class Noisy(FaultParams):
    std: float = Field(gt=0, description="extra noise, standard deviation in the reading's unit")
    field: str | None = Field(None, description="which reading; unset: every reading")


class Spikes(FaultParams):
    rate_per_min: float = Field(2.0, gt=0, le=600, description="how many outliers a minute, on average")
    magnitude: float = Field(gt=0, description="how far an outlier is off, in the reading's unit (up or down)")
    field: str | None = Field(None, description="which reading; unset: every reading")


class SlowResponse(FaultParams):
    factor: float = Field(10.0, gt=1, le=1000, description="how many times slower the element follows the room")
    field: str | None = Field(None, description="which reading; unset: every reading")


class Sensor(Device):
    FAMILY = "sensors"
    MEASURES: ClassVar[tuple[Measure, ...]] = ()
    Params = SensorParams
    FAULTS = {
        "stuck": FaultSpec("stuck", "the reading freezes at one value however the room changes", Stuck),
        "bias": FaultSpec("bias", "every reading is off by a constant offset", Bias),
        "drift": FaultSpec("drift", "the error grows steadily with time (an ageing element)", Drift),
        "noise": FaultSpec("noise", "readings jump around more than the datasheet allows", Noisy),
        "spikes": FaultSpec("spikes", "now and then one reading is far off, the next is normal again "
                            "(interference, a loose contact)", Spikes),
        "dead": FaultSpec("dead", "the part is powered but its output is at rest: 0 V, 0 mA, or no answer "
                          "on its bus (a failed output stage)"),
        "slow_response": FaultSpec("slow_response", "readings lag far behind the room (a clogged filter, a "
                                   "fouled or wet element)", SlowResponse),
    }

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        rng = sim.rng(device_id)
        n = len(self.MEASURES)
        # A part's own error, fixed for its life: bias within ±accuracy, gain within ±gain_error.
        spread = rng.uniform(-1.0, 1.0, size=(2, n)).tolist() if n else [[], []]
        self._noise = normals(rng)
        self._elements = [_Element(m, m.accuracy * 0.6 * b, 1.0 + m.gain_error * 0.6 * g)
                          for m, b, g in zip(self.MEASURES, spread[0], spread[1])]
        self._env, self._room = sim.env, sim.environment
        self._fault_refs: dict[str, tuple[int, float]] = {}
        self._spike_rng = None
        self._supply = True     # the supply is on; ``powered`` also needs a live output stage

    def _index(self, field: str | None) -> int:
        if field is None:
            return 0
        for i, m in enumerate(self.MEASURES):
            if m.field == field:
                return i
        raise ValueError(f"{self.TYPE} has no reading {field!r}; readings: "
                         + ", ".join(m.field for m in self.MEASURES))

    def sense(self, i: int = 0) -> float:
        """The sensing element's value of measure ``i`` now, in engineering units (unquantised)."""
        e = self._elements[i]
        t = self._env.now
        x = self._room.value(e.quantity, t)
        y = e.y
        if y is None or e.tau <= 0.0:
            y = x
        elif t != e.t:
            dt = t - e.t
            if e.fall and x < y:
                y += (x - y) * (1.0 - math.exp(-dt / e.fall))
            else:
                if dt != e.dt:      # the factor for a fixed polling interval is computed once
                    e.dt, e.a = dt, 1.0 - math.exp(-dt / e.tau)
                y += (x - y) * e.a
        e.y, e.t = y, t
        v = y * e.gain + e.bias
        if e.noise:
            v += e.noise * next(self._noise)
        if self.faults:
            v = self._faulted(i, v, t)
        return e.lo if v < e.lo else e.hi if v > e.hi else v

    def _faulted(self, i: int, v: float, t: float) -> float:
        for (name, _port), fp in self.faults.items():
            field = getattr(fp, "field", None)
            if name not in Sensor.FAULTS or (field is not None and self._index(field) != i):
                continue
            if name == "stuck":
                key = f"stuck:{i}"
                if key not in self._fault_refs:
                    self._fault_refs[key] = (i, v if fp.value is None else fp.value)
                v = self._fault_refs[key][1]
            elif name == "bias":
                v += fp.offset
            elif name == "drift":
                key = f"drift:{i}"
                start = self._fault_refs.setdefault(key, (i, t))[1]
                v += fp.rate_per_h * (t - start) / 3600.0
            elif name == "noise":
                v += fp.std * next(self._noise)
            elif name == "spikes":
                v += self._spike(i, t, fp)
        return v

    def _spike(self, i: int, t: float, fp: Spikes) -> float:
        """An outlier (±magnitude) with the chance of at least one in the time since the last reading."""
        if self._spike_rng is None:
            self._spike_rng = self.sim.rng(self.id + ".spikes")
        last = self._fault_refs.get(f"spikes:{i}", (i, t))[1]
        self._fault_refs[f"spikes:{i}"] = (i, t)
        draw, sign = self._spike_rng.random(2).tolist()
        if draw >= 1.0 - math.exp(-fp.rate_per_min * (t - last) / 60.0):
            return 0.0
        return fp.magnitude if sign < 0.5 else -fp.magnitude

    def set_power(self, on: bool) -> None:
        if on != self._supply:
            self._supply = on
            self.powered = on and not self.has_fault("dead")
            self.emit("state", state="online" if on else "offline")

    def _retime(self) -> None:
        """Time constants with any slow_response fault applied."""
        slow = {i: 1.0 for i in range(len(self.MEASURES))}
        for (name, _port), fp in self.faults.items():
            if name == "slow_response":
                for i in ([self._index(fp.field)] if fp.field else slow):
                    slow[i] *= fp.factor
        for i, (m, e) in enumerate(zip(self.MEASURES, self._elements)):
            e.tau, e.fall, e.dt = m.response_s * slow[i], m.fall_s * slow[i], -1.0

    def fault_off(self, spec, port) -> None:
        super().fault_off(spec, port)
        for key in [k for k in self._fault_refs if k.startswith(spec.name + ":")]:
            del self._fault_refs[key]
        if spec.name == "dead":
            self.powered = self._supply
        elif spec.name == "slow_response":
            self._retime()

    @classmethod
    def fault_problem(cls, spec, params) -> str | None:
        field = getattr(params, "field", None)
        fields = [m.field for m in cls.MEASURES]
        if field is not None and field not in fields:
            return f"{cls.TYPE} has no reading {field!r}; its readings: {', '.join(fields)}"
        if spec.name == "slow_response":
            lagging = [m.field for m in cls.MEASURES if m.response_s > 0]
            if not lagging or (field is not None and field not in lagging):
                return (f"{cls.TYPE} follows {field or 'the room'} instantly, with no response time to slow down; "
                        f"readings with one: {', '.join(lagging) or 'none'}")
        return None

    def fault_on(self, spec, params, port) -> None:
        for key in [k for k in self._fault_refs if k.startswith(spec.name + ":")]:
            del self._fault_refs[key]          # injected again: start from the new parameters
        super().fault_on(spec, params, port)
        if spec.name == "dead":
            self.powered = False
        elif spec.name == "slow_response":
            self._retime()

    def reading(self, i: int = 0) -> float:
        """A reading quantised to the part's resolution, as its digital output would give it."""
        m = self.MEASURES[i]
        return round(round(self.sense(i) / m.resolution) * m.resolution, m.digits)


class BadReading(Exception):
    """A raw value a gateway cannot turn into a reading (broken loop, bad checksum ...).

    ``link`` is True when it means the part is cut off (a loop carrying no current), not just
    that one reading is bad."""

    def __init__(self, message: str, link: bool = False) -> None:
        super().__init__(message)
        self.link = link
