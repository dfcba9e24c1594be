"""The room's physical quantities over simulated time.

Each quantity is ``base + daily cycle + slow random variation + per-person load +
scripted events``, clipped to its physical limits. Values are pure functions of
time (and the seed), cached per instant, so a thousand sensors reading the same
quantity at one tick cost one evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .rng import stream

#: The quantities a room has, with their unit and sensible defaults for a classroom.
QUANTITIES: dict[str, dict] = {
    "temperature": dict(unit="°C", base=24.0, daily_amplitude=2.0, peak_hour=15.0,
                        noise=0.3, noise_tau_s=600.0, per_person=0.03, min=-40.0, max=85.0),
    "humidity": dict(unit="%RH", base=50.0, daily_amplitude=-6.0, peak_hour=15.0,
                     noise=1.5, noise_tau_s=600.0, per_person=0.2, min=0.0, max=100.0),
    "illuminance": dict(unit="lux", base=350.0, daily_amplitude=150.0, peak_hour=13.0,
                        noise=15.0, noise_tau_s=120.0, per_person=0.0, min=0.0, max=100000.0),
    "co2": dict(unit="ppm", base=450.0, daily_amplitude=0.0, peak_hour=12.0,
                noise=10.0, noise_tau_s=300.0, per_person=15.0, min=300.0, max=10000.0),
    "gas": dict(unit="ppm", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                noise=0.0, noise_tau_s=60.0, per_person=0.0, min=0.0, max=10000.0),
    "occupancy": dict(unit="people", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                      noise=0.0, noise_tau_s=600.0, per_person=0.0, min=0.0, max=500.0),
    # Quantities of switch and outdoor sensors: at rest unless a scenario scripts them.
    "door_open": dict(unit="0/1", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                      noise=0.0, noise_tau_s=600.0, per_person=0.0, min=0.0, max=1.0),
    "flame": dict(unit="IR intensity 0..1", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                  noise=0.0, noise_tau_s=60.0, per_person=0.0, min=0.0, max=1.0),
    "water_leak": dict(unit="0/1", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                       noise=0.0, noise_tau_s=600.0, per_person=0.0, min=0.0, max=1.0),
    "soil_moisture": dict(unit="%VWC", base=30.0, daily_amplitude=0.0, peak_hour=12.0,
                          noise=0.0, noise_tau_s=3600.0, per_person=0.0, min=0.0, max=100.0),
    "rain_mm_h": dict(unit="mm/h", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                      noise=0.0, noise_tau_s=300.0, per_person=0.0, min=0.0, max=500.0),
    "flow_l_min": dict(unit="L/min", base=0.0, daily_amplitude=0.0, peak_hour=12.0,
                       noise=0.0, noise_tau_s=60.0, per_person=0.0, min=0.0, max=100.0),
    "wind_m_s": dict(unit="m/s", base=0.0, daily_amplitude=0.0, peak_hour=14.0,
                     noise=0.0, noise_tau_s=30.0, per_person=0.0, min=0.0, max=75.0),
}


@dataclass
class Change:
    """A scripted event's effect on one quantity: ramps in, holds, ramps back out."""
    at_s: float
    delta: float
    ramp_s: float = 0.0
    duration_s: float | None = None

    def value(self, t: float) -> float:
        if t <= self.at_s:
            return 0.0
        rise = 1.0 if self.ramp_s <= 0 else min(1.0, (t - self.at_s) / self.ramp_s)
        if self.duration_s is None:
            return self.delta * rise
        end = self.at_s + self.duration_s
        if t <= end:
            return self.delta * rise
        fall = 1.0 if self.ramp_s <= 0 else min(1.0, (t - end) / self.ramp_s)
        return self.delta * rise * (1.0 - fall)


@dataclass
class Quantity:
    name: str
    unit: str
    base: float
    daily_amplitude: float
    peak_hour: float
    noise: float
    noise_tau_s: float
    per_person: float
    min: float
    max: float
    changes: list[Change] = field(default_factory=list)


class _SlowNoise:
    """An Ornstein-Uhlenbeck process sampled on a grid and interpolated linearly.

    Grid point k depends only on the seed and k, however the process is queried. The grid is
    made in chunks; only the generator state and first value of each chunk are kept, plus the
    few chunks last used, so a month-long run does not hold a month of grid points.
    """

    CHUNK = 4096
    KEEP = 4

    def __init__(self, gen: np.random.Generator, sigma: float, tau_s: float) -> None:
        self.sigma, self.step = sigma, tau_s / 8.0
        self._a = math.exp(-self.step / tau_s)
        self._b = sigma * math.sqrt(1.0 - self._a * self._a)
        first = float(gen.standard_normal()) * sigma
        self._gen = gen
        self._starts: list[tuple[dict, float]] = [(gen.bit_generator.state, first)]
        self._chunks: dict[int, list[float]] = {}

    def _chunk(self, c: int) -> list[float]:
        values = self._chunks.get(c)
        if values is not None:
            return values
        while len(self._starts) <= c:                 # walk forward to find where chunk c starts
            self._make(len(self._starts) - 1)
        values = self._make(c)
        return values

    def _make(self, c: int) -> list[float]:
        state, x = self._starts[c]
        self._gen.bit_generator.state = state
        draws = self._gen.standard_normal(self.CHUNK).tolist()
        a, b = self._a, self._b
        values = [x]
        for z in draws:
            x = a * x + b * z
            values.append(x)                          # CHUNK + 1 points: the last starts chunk c + 1
        if len(self._starts) == c + 1:
            self._starts.append((self._gen.bit_generator.state, x))
        self._chunks[c] = values
        if len(self._chunks) > self.KEEP:
            del self._chunks[next(iter(self._chunks))]
        return values

    def __call__(self, t: float) -> float:
        if self.sigma == 0.0:
            return 0.0
        pos = t / self.step
        k = int(pos)
        c, i = divmod(k, self.CHUNK)
        values = self._chunk(c)
        frac = pos - k
        return values[i] * (1.0 - frac) + values[i + 1] * frac


class RoomEnvironment:
    """Values of every quantity at any simulated time, reproducible from the seed."""

    def __init__(self, quantities: dict[str, Quantity], seed: int, start_hour: float = 8.0) -> None:
        self.quantities = quantities
        self.start_hour = start_hour
        self._noise = {name: _SlowNoise(stream(seed, f"env.{name}"), q.noise, q.noise_tau_s)
                       for name, q in quantities.items()}
        self._cache: dict[str, tuple[float, float]] = {}

    @classmethod
    def default(cls, seed: int = 0) -> "RoomEnvironment":
        return cls({n: Quantity(name=n, **d) for n, d in QUANTITIES.items()}, seed)

    def value(self, name: str, t: float) -> float:
        hit = self._cache.get(name)
        if hit is not None and hit[0] == t:
            return hit[1]
        v = self._compute(name, t)
        self._cache[name] = (t, v)
        return v

    def influence(self, name: str, delta: float, at_s: float, ramp_s: float = 0.0) -> None:
        """Something in the room (a lamp, a fan) shifts ``name`` by ``delta`` from ``at_s`` on, reached
        over ``ramp_s``; it takes the shift back with the opposite delta."""
        self.quantities[name].changes.append(Change(at_s, delta, ramp_s))
        self._cache.pop(name, None)
        if name == "occupancy":
            self._cache.clear()

    def _compute(self, name: str, t: float) -> float:
        q = self.quantities[name]
        v = q.base + self._noise[name](t)
        if q.daily_amplitude:
            hour = self.start_hour + t / 3600.0
            v += q.daily_amplitude * math.cos(2.0 * math.pi * (hour - q.peak_hour) / 24.0)
        for change in q.changes:
            v += change.value(t)
        if q.per_person and name != "occupancy":
            v += q.per_person * self.value("occupancy", t)
        if name == "occupancy":
            v = float(round(v))
        return min(q.max, max(q.min, v))
