"""Faults every device (or every device with firmware) can have, and the processes behind the
intermittent ones: a loose contact that opens and closes, a supply that sags, a device that
crashes or keeps rebooting.

A device is powered while nothing holds it down: ``Device.hold_down(cause)`` /
``release(cause)`` keep a set of causes (power_loss, a brown-out dip, a crash, a reboot), so
overlapping faults end in the right state.
"""

from __future__ import annotations

from pydantic import Field

from .faults import FaultParams, FaultSpec


class LooseContact(FaultParams):
    open_s: float = Field(1.5, gt=0, le=3600, description="mean time the contact stays open, s")
    closed_s: float = Field(8.0, gt=0, le=3600, description="mean time it makes contact between, s")


class Brownout(FaultParams):
    period_s: float = Field(30.0, gt=0, le=86400, description="how often the supply sags below the part's minimum, s")
    dip_s: float = Field(0.5, gt=0, le=3600, description="how long each sag lasts (the part resets), s")


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


def _ours(spec: FaultSpec) -> bool:
    """True if ``spec`` is one of the faults above, not a device type's own fault of the same name."""
    return spec is WIRE_FAULTS.get(spec.name) or spec is POWER_FAULTS.get(spec.name) \
        or spec is FIRMWARE_FAULTS.get(spec.name)


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
        sim.env.process(_wobble(device, port, params))
    elif name == "brownout":
        sim.env.process(_cycle(device, "brownout", params.period_s - params.dip_s, params.dip_s))
    elif name == "reboot_loop":
        sim.env.process(_cycle(device, "reboot_loop", params.up_s, params.boot_s, first_down=True))
    elif name == "crash":
        device.hold_down("crash")
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
        pass                           # its process sees the fault gone and leaves the wire closed
    elif name in ("brownout", "reboot_loop", "crash"):
        device.release(name)
    else:
        return False
    return True


def _wobble(device, port: str, params: LooseContact):
    env, rng = device.sim.env, device.sim.rng(f"loose-contact:{device.id}.{port}")
    links, open_now = device.links[port], False
    while device.has_fault("loose_contact", port):
        yield env.timeout(float(rng.exponential(params.open_s if open_now else params.closed_s)))
        if not device.has_fault("loose_contact", port):
            break
        open_now = not open_now
        for link in links:
            link.cut() if open_now else link.mend()
            device.wire_changed(link)
    if open_now:
        for link in links:
            link.mend()
            device.wire_changed(link)


def _cycle(device, cause: str, up_s: float, down_s: float, first_down: bool = False):
    env = device.sim.env
    down = first_down
    while device.has_fault(cause):
        if down:
            device.hold_down(cause)
            yield env.timeout(down_s)
            device.release(cause)
        else:
            yield env.timeout(up_s)
        down = not down
    device.release(cause)
