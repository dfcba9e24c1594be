"""Faults every device (or every device with firmware) can have, and the processes behind the
intermittent ones: a loose contact that opens and closes, a supply that sags, a device that
crashes or keeps rebooting.

A device is powered while nothing holds it down: ``Device.hold_down(cause)`` /
``release(cause)`` keep a set of causes (power_loss, a brown-out dip, a crash, a reboot), so
overlapping faults end in the right state.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from .faults import FaultParams, FaultSpec


class LooseContact(FaultParams):
    open_s: float = Field(1.5, gt=0, le=3600, description="mean time the contact stays open, s")
    closed_s: float = Field(8.0, gt=0, le=3600, description="mean time it makes contact between, s")


class Brownout(FaultParams):
    period_s: float = Field(30.0, gt=0, le=86400, description="how often the supply sags below the part's minimum, s")
    dip_s: float = Field(0.5, gt=0, le=3600, description="how long each sag lasts (the part resets), s")

    @model_validator(mode="after")
    def _dip_inside_period(self):
        if self.dip_s >= self.period_s:
            raise ValueError(f"dip_s ({self.dip_s:g}) must be shorter than period_s ({self.period_s:g})")
        return self


class RebootLoop(FaultParams):
    up_s: float = Field(20.0, gt=0, le=86400, description="how long it runs before it crashes again, s")
    boot_s: float = Field(5.0, gt=0, le=3600, description="how long each boot takes, s")


WIRE_FAULTS = {
    "short": FaultSpec("short", "the two conductors touch: an input reads 0 V / 0 mA, and a shorted bus "
                       "(RS-485, I2C, 1-Wire) goes dead for every device on it", on_port=True),
    "loose_contact": FaultSpec("loose_contact", "the wire makes and loses contact now and then: readings "
                               "drop out and come back, a bus member answers only sometimes", LooseContact,
                               on_port=True),
    "reversed_polarity": FaultSpec("reversed_polarity", "the pair is wired the wrong way round: a 4-20 mA loop "
                                   "carries no current (its protection diode blocks), a voltage output reads 0",
                                   on_port=True, forms=("current_loop", "analog_v")),
}
POWER_FAULTS = {
    "brownout": FaultSpec("brownout", "the supply sags below the part's minimum now and then: it resets, "
                          "drops offline for a moment and comes back", Brownout),
}
FIRMWARE_FAULTS = {
    "crash": FaultSpec("crash", "the firmware hangs: powered but silent, no polling, no answers, until it "
                       "is restarted (clearing the fault restarts it)"),
    "reboot_loop": FaultSpec("reboot_loop", "the firmware crashes and reboots again and again: it is offline "
                             "for each boot, then runs for a while", RebootLoop),
}


class FirmwareFaults:
    """Mixin: the faults of a device that runs firmware (gateways, modules, serial servers)."""
    FAULTS = FIRMWARE_FAULTS


class BatteryDepletion(FaultParams):
    remaining_s: float = Field(600.0, gt=0, le=30 * 86400, description="how long the battery lasts from now, s")
    sag_s: float = Field(120.0, ge=0, le=86400, description="before the end, how long it resets now and then "
                         "as the voltage sags under load, s")


BATTERY_FAULTS = {
    "battery_depletion": FaultSpec("battery_depletion", "its battery runs down: towards the end it resets now "
                                   "and then (the voltage sags when it transmits), then it goes dead until the "
                                   "battery is changed (clearing the fault)", BatteryDepletion),
}


class BatteryFaults:
    """Mixin: the faults of a battery-powered device (wireless sensor nodes)."""
    FAULTS = BATTERY_FAULTS


def _ours(spec: FaultSpec) -> bool:
    """True if ``spec`` is one of the faults above, not a device type's own fault of the same name."""
    return any(spec is table.get(spec.name) for table in (WIRE_FAULTS, POWER_FAULTS, FIRMWARE_FAULTS,
                                                          BATTERY_FAULTS))


def _generation(device, key) -> int:
    """A new run of an intermittent fault: the previous one's process sees it is stale and stops."""
    gens = device.__dict__.setdefault("_fault_generation", {})
    gens[key] = gens.get(key, 0) + 1
    return gens[key]


def _current(device, key, gen: int) -> bool:
    return device.has_fault(*key) and device.__dict__.get("_fault_generation", {}).get(key) == gen


def start(device, spec: FaultSpec, params: FaultParams, port: str | None) -> bool:
    """Turn on one of the faults above; False if ``spec`` is not one of them."""
    name, sim = spec.name, device.sim
    if not _ours(spec):
        return False
    if name == "short" and port:
        for link in device.links[port]:
            link.short(True)
    elif name == "reversed_polarity" and port:
        for link in device.links[port]:
            link.cut()
    elif name == "loose_contact" and port:
        key = (name, port)
        sim.env.process(_wobble(device, port, _generation(device, key)))
    elif name == "brownout":
        sim.env.process(_cycle(device, name, _generation(device, (name, None)), first_down=False))
    elif name == "reboot_loop":
        sim.env.process(_cycle(device, name, _generation(device, (name, None)), first_down=True))
    elif name == "crash":
        device.hold_down("crash")
    elif name == "battery_depletion":
        sim.env.process(_run_down(device, _generation(device, (name, None))))
    else:
        return False
    return True


def stop(device, spec: FaultSpec, port: str | None) -> bool:
    name = spec.name
    if not _ours(spec):
        return False
    if name == "short" and port:
        for link in device.links[port]:
            link.short(False)
    elif name == "reversed_polarity" and port:
        for link in device.links[port]:
            link.mend()
    elif name == "loose_contact" and port:
        _generation(device, (name, port))          # the running wobble stops
        if device.__dict__.get("_loose_open", {}).pop(port, False):
            for link in device.links[port]:        # open at this moment: contact again, now
                link.mend()
    elif name in ("brownout", "reboot_loop", "crash", "battery_depletion"):
        if name != "crash":
            _generation(device, (name, None))
        device.release(name)
    else:
        return False
    return True


def _wobble(device, port: str, gen: int):
    env, rng = device.sim.env, device.sim.rng(f"loose-contact:{device.id}.{port}:{gen}")
    key, links = ("loose_contact", port), device.links[port]
    opened = device.__dict__.setdefault("_loose_open", {})
    while True:
        params = device.faults.get(key)
        if params is None:
            return
        yield env.timeout(float(rng.exponential(params.open_s if opened.get(port) else params.closed_s)))
        if not _current(device, key, gen):
            return
        opened[port] = not opened.get(port, False)
        for link in links:
            link.cut() if opened[port] else link.mend()
            device.wire_changed(link)


def _cycle(device, cause: str, gen: int, first_down: bool):
    """Brown-out dips (up for period - dip, down for dip) or a reboot loop (down for boot_s, up for up_s),
    with the parameters the fault has now."""
    env, key = device.sim.env, (cause, None)
    down = first_down
    while _current(device, key, gen):
        p = device.faults[key]
        up_s, down_s = (p.period_s - p.dip_s, p.dip_s) if cause == "brownout" else (p.up_s, p.boot_s)
        if down:
            device.hold_down(cause)
            yield env.timeout(down_s)
            if _current(device, key, gen):
                device.release(cause)
        else:
            yield env.timeout(up_s)
        down = not down


def _run_down(device, gen: int):
    """The battery lasts ``remaining_s``; during its last ``sag_s`` the device resets every ~20 s
    (a 2 s dip), then it stays down."""
    env, key = device.sim.env, ("battery_depletion", None)
    p = device.faults[key]
    end = env.now + p.remaining_s
    yield env.timeout(max(0.0, p.remaining_s - p.sag_s))
    while _current(device, key, gen) and env.now + 22.0 < end:
        yield env.timeout(20.0)
        if not _current(device, key, gen):
            return
        device.hold_down("battery_depletion")
        yield env.timeout(2.0)
        if _current(device, key, gen):
            device.release("battery_depletion")
    if _current(device, key, gen):
        yield env.timeout(max(0.0, end - env.now))
        if _current(device, key, gen):
            device.hold_down("battery_depletion")
