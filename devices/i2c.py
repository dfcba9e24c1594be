"""The gateway's I2C driver, and how a part tells it to be read.

Each I2C part has an ``I2C_READ`` recipe: the writes that set it up (after power-on, and again
when it comes back after a NACK), then, each poll, an optional command, the conversion time to
wait, and how many bytes to read. The driver follows the recipes on the bus, part after part,
in one process per poll.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.buses import i2c_transfer

from .bus_driver import BusDriver


@dataclass(frozen=True)
class I2CRead:
    init: tuple[bytes, ...] = ()   # written once, and again after the part was lost
    command: bytes = b""           # written before each reading (nothing: the part converts on its own)
    wait_s: float = 0.0            # conversion time between the command and the read
    length: int = 2                # bytes read


class I2CMaster(BusDriver):
    """Reads every part on a gateway's I2C port by its recipe, setting a part up again after a NACK."""

    def __init__(self, gateway, port: str, report, bad) -> None:
        super().__init__(gateway, port, report, bad, "i2c_address")
        self._needs_init = {dev.id: True for dev in self.parts}

    def cycle(self):
        gw, port, env = self.gw, self.port, self.gw.sim.env
        for dev in self.parts:
            if not gw.powered:
                return
            recipe, address = dev.I2C_READ, dev.i2c_address
            if self._needs_init[dev.id] and recipe.init:
                if all(i2c_transfer(gw, port, address, w) is not None for w in recipe.init):
                    self._needs_init[dev.id] = False    # the first result is ready after the conversion time
                else:
                    self._lost(dev)
                continue
            if recipe.command:
                if i2c_transfer(gw, port, address, recipe.command) is None:
                    self._lost(dev)
                    continue
                yield env.timeout(recipe.wait_s)
            data = i2c_transfer(gw, port, address, b"", recipe.length)
            if data is None:
                self._lost(dev)
            else:
                self.report(dev, port, data)

    def _lost(self, dev) -> None:
        """No ACK: report it, and set the part up again once it answers."""
        self._needs_init[dev.id] = True
        self.bad(dev.id, self.port, f"no ACK at I2C address 0x{dev.i2c_address:02X}", True)
