"""What the I2C displays (``devices.board_lcd``, ``devices.ssd1306``) share: an I2C port and address, a
power cycle that resets the controller, and one trace record per simulated instant in which what the
display shows changed (``shown()`` gives the record's kind and fields)."""

from __future__ import annotations

from sim.device import Device
from sim.ports import bus


class I2cDisplay(Device):
    FAMILY = "displays"
    I2C_DOC = "SDA/SCL"

    @classmethod
    def port_specs(cls, params):
        return {"i2c": bus("i2c", cls.I2C_DOC)}

    def __init__(self, sim, device_id, params, pos_m) -> None:
        super().__init__(sim, device_id, params, pos_m)
        self._reset()
        self._shown: dict | None = None
        self._queued = False

    @property
    def i2c_address(self) -> int:
        return self.p.address

    def _reset(self) -> None:
        """The controller's state at power-on."""
        raise NotImplementedError

    def shown(self) -> tuple[str, dict]:
        """(record kind, fields) of what the display shows now."""
        raise NotImplementedError

    def set_power(self, on: bool) -> None:
        super().set_power(on)
        self._reset()
        self._changed()

    def _changed(self) -> None:
        if not self._queued:
            self._queued = True
            self.sim.env.timeout(0).callbacks.append(self._show)

    def _show(self, _event) -> None:
        self._queued = False
        kind, fields = self.shown()
        if fields != self._shown:
            self._shown = fields
            self.emit(kind, **fields)
