"""The room's quantities: closed-form checks of the daily cycle, events, coupling and noise."""

import math

import numpy as np
import pytest

from sim.environment import QUANTITIES, Change, Quantity, RoomEnvironment
from sim.scenario.builder import environment_of
from sim.scenario.spec import EnvironmentSpec


def quiet(name, **overrides):
    values = {**QUANTITIES[name], "noise": 0.0, **overrides}
    return Quantity(name=name, **values)


def env_of(*quantities, start_hour=0.0):
    qs = {q.name: q for q in quantities}
    qs.setdefault("occupancy", quiet("occupancy"))
    return RoomEnvironment(qs, seed=1, start_hour=start_hour)


def test_daily_cycle_peaks_at_peak_hour():
    env = env_of(quiet("temperature", base=20, daily_amplitude=3, peak_hour=15, per_person=0))
    assert env.value("temperature", 15 * 3600) == pytest.approx(23)
    assert env.value("temperature", 3 * 3600) == pytest.approx(17)
    assert env.value("temperature", 9 * 3600) == pytest.approx(20, abs=1e-9)


def test_start_time_shifts_the_cycle():
    spec = EnvironmentSpec.model_validate({"start_time": "15:00", "temperature": {"noise": 0, "per_person": 0}})
    env = environment_of(spec, seed=1)
    base, amp = QUANTITIES["temperature"]["base"], QUANTITIES["temperature"]["daily_amplitude"]
    assert env.value("temperature", 0.0) == pytest.approx(base + amp)


def test_event_ramps_in_holds_and_fades():
    change = Change(at_s=100, delta=4, ramp_s=20, duration_s=60)
    assert [change.value(t) for t in (100, 110, 120, 150, 160, 170, 180, 500)] == [0, 2, 4, 4, 4, 2, 0, 0]
    forever = Change(at_s=10, delta=-2)
    assert forever.value(5) == 0 and forever.value(11) == -2 and forever.value(1e6) == -2


def test_people_warm_the_room_and_raise_co2():
    occupancy = quiet("occupancy", changes=[Change(at_s=60, delta=20)])
    env = env_of(quiet("co2", base=450, per_person=15), occupancy)
    assert env.value("co2", 30) == pytest.approx(450)
    assert env.value("co2", 90) == pytest.approx(450 + 20 * 15)


def test_values_are_clipped_to_physical_limits_and_occupancy_is_whole_people():
    env = env_of(quiet("humidity", base=95, changes=[Change(at_s=0, delta=30)], per_person=0),
                 quiet("occupancy", changes=[Change(at_s=0, delta=3.4)]))
    assert env.value("humidity", 10) == 100.0
    assert env.value("occupancy", 10) == 3.0


def test_slow_noise_has_the_configured_spread_and_is_reproducible():
    def series(seed):
        env = RoomEnvironment({"temperature": quiet("temperature", noise=0.5, noise_tau_s=60, base=0,
                                                    daily_amplitude=0, per_person=0),
                               "occupancy": quiet("occupancy")}, seed=seed)
        return np.array([env.value("temperature", t) for t in range(0, 200_000, 30)])
    a = series(3)
    assert a.std() == pytest.approx(0.5, rel=0.15)
    assert abs(a.mean()) < 0.1
    assert (a == series(3)).all() and not (a == series(4)).all()


def test_noise_is_the_same_whatever_order_it_is_asked_in():
    def env():
        return RoomEnvironment({"temperature": quiet("temperature", noise=0.5, noise_tau_s=60),
                                "occupancy": quiet("occupancy")}, seed=9)
    forward, backward = env(), env()
    times = [0.0, 17.0, 500.5, 9000.0]
    assert [forward.value("temperature", t) for t in times] == \
        list(reversed([backward.value("temperature", t) for t in reversed(times)]))
    assert not math.isnan(forward.value("temperature", 9000.0))


def test_a_long_run_keeps_only_a_few_chunks_of_noise():
    env = RoomEnvironment({"temperature": quiet("temperature", noise=0.5, noise_tau_s=10),
                           "occupancy": quiet("occupancy")}, seed=2)
    early = env.value("temperature", 100.0)
    for t in range(0, 10 * 86400, 600):
        env.value("temperature", float(t))
    noise = env._noise["temperature"]
    assert len(noise._chunks) <= noise.KEEP
    assert len(noise._starts) > 100                    # ten days of 1.25-s grid points, in chunks
    env._cache.clear()
    assert env.value("temperature", 100.0) == early    # an old chunk is made again, identically
