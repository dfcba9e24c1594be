"""The embedded gateway of the sensor room: it acquires every wired sensor and reports readings.

Its channel drivers are configured from the parts wired to it (as the room's gateway
configuration software would do): analog inputs through a real ADC (bits, full
scale), digital inputs by edge, single-wire pins, an I2C master and a Modbus RTU
master on RS-485 that puts real frames on the bus. Readings go to the trace as
``sample`` records of the sensor they belong to, ``via`` this gateway.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.buses import i2c_transfer, rs485_transaction, silence_s
from sim.device import Device, DeviceParams
from sim.ports import bus, input_of
from sim.trace import time_key

from .modbus import parse_registers_reply, read_request
from .sensing import BadReading
from .sensors_rs485 import BAUD_CODES


class AlarmRule(BaseModel):
    """A threshold on one reading; the gateway raises and clears an alarm record."""
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    device: str = Field(description="the sensor whose reading is watched", examples=["th1"])
    field: str = Field(description="the reading, e.g. temperature_c", examples=["temperature_c"])
    above: float | None = Field(None, description="raise when the reading goes above this")
    below: float | None = Field(None, description="raise when the reading goes below this")
    hysteresis: float = Field(0.0, ge=0, description="clear only once the reading is back by this much")

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.above is None) == (self.below is None):
            raise ValueError("an alarm rule needs exactly one of above or below")
        return self

    def describe(self) -> str:
        return f"{self.device}.{self.field} {'>' if self.above is not None else '<'} " \
               f"{self.above if self.above is not None else self.below:g}"


class GatewayParams(DeviceParams):
    poll_period_s: float = Field(1.0, ge=0.01, le=3600, description="how often every channel is read, s")
    poll_offset_s: float = Field(0.0, ge=0, le=3600, description="when the first poll happens after the start, s "
                                 "(gateways switched on at different moments poll out of step)")
    analog_inputs: int = Field(4, ge=0, le=1024, description="number of analog inputs ai1..aiN (voltage or 4-20 mA)")
    digital_inputs: int = Field(4, ge=0, le=64, description="number of digital inputs di1..diN")
    single_wire_pins: int = Field(2, ge=0, le=16, description="number of single-wire pins dio1..dioN")
    adc_bits: int = Field(12, ge=8, le=24, description="ADC resolution, bits")
    ai_full_scale_v: float = Field(10.0, gt=0, description="full scale of a voltage input, V")
    ai_full_scale_ma: float = Field(24.0, gt=0, description="full scale of a current input, mA")
    rs485_baud: Literal[BAUD_CODES] = Field(9600, description="RS-485 bus speed, bit/s")
    rs485_parity: Literal["N", "E", "O"] = Field("N", description="RS-485 parity")
    modbus_timeout_s: float = Field(0.2, gt=0, le=5, description="how long to wait for a slave's reply, s")
    alarms: list[AlarmRule] = Field(default_factory=list, description="threshold alarms on readings")
    SUPPLY_RANGE_V: ClassVar = (9.0, 36.0)


class Gateway(Device):
    """Embedded IoT gateway with analog, digital, single-wire, I2C and RS-485 inputs."""
    FAMILY = "gateways"
    TITLE, TITLE_ZH = "Embedded gateway (AI/DI/single-wire/I2C/RS-485)", "嵌入式网关"
    SUPPLY_RANGE_V, CURRENT_MA = (9.0, 36.0), 250.0
    Params = GatewayParams
    COMMANDS = {"set_poll_period": "period_s: new polling period, 0.01 to 3600 seconds"}

    @classmethod
    def port_specs(cls, params):
        ports = {f"ai{i}": input_of("analog_v", "current_loop", doc="analog input")
                 for i in range(1, params.analog_inputs + 1)}
        ports.update({f"di{i}": input_of("digital", doc="digital input") for i in range(1, params.digital_inputs + 1)})
        ports.update({f"dio{i}": input_of("single_wire", doc="single-wire pin")
                      for i in range(1, params.single_wire_pins + 1)})
        ports["rs485"] = bus("rs485", "RS-485 master (Modbus RTU)")
        ports["i2c"] = bus("i2c", "I2C master")
        return ports

    @classmethod
    def cross_check(cls, params, device_ids):
        return [(("alarms", i, "device"), f"alarm rule names no device {rule.device!r}; devices: {', '.join(device_ids)}")
                for i, rule in enumerate(params.alarms) if rule.device not in device_ids]

    def start(self) -> None:
        full = 2 ** self.p.adc_bits
        self._analog, self._digital, self._single = [], [], []
        for name, port in self.ports.items():
            if not self.links[name] or port.role != "input":
                continue
            link = self.links[name][0]
            dev, dev_port = link.peer(self)
            if name.startswith("ai"):
                fs = self.p.ai_full_scale_ma if dev.ports[dev_port].form == "current_loop" else self.p.ai_full_scale_v
                self._analog.append((name, link, dev.output, dev.decode, dev.id, dev_port, fs / full, fs))
            elif name.startswith("dio"):
                self._single.append((name, link, dev))
            else:
                self._digital.append((name, link, dev, dev_port))
        net = self.nets.get("i2c")
        self._i2c = [[dev, True] for dev, _ in (net.members if net else []) if hasattr(dev, "i2c_address")]
        net = self.nets.get("rs485")
        self._modbus = [(dev,) + dev.modbus_poll() for dev, _ in (net.members if net else [])
                        if hasattr(dev, "modbus_poll")]
        self._modbus_busy = False
        self._emit = self.sim.trace.emit
        self._bad: dict[str, str] = {}          # device -> the problem last reported
        self._lost: set[str] = set()            # devices this gateway cannot reach: status offline
        self._rules: dict[str, list] = {}
        self._alarm_state: dict[int, bool] = {}
        for rule in self.p.alarms:
            self._rules.setdefault(rule.device, []).append(rule)
        self.sim.env.process(self._run())

    def _run(self):
        env = self.sim.env
        if self.p.poll_offset_s:
            yield env.timeout(self.p.poll_offset_s)
        while True:
            if self.powered:
                self.poll()
            yield env.timeout(self.p.poll_period_s)

    def command(self, name, args):
        if name != "set_poll_period":
            return super().command(name, args)
        period = args.get("period_s")
        if not isinstance(period, (int, float)) or isinstance(period, bool) or not 0.01 <= period <= 3600:
            raise ValueError(f"set_poll_period needs period_s, a number of seconds from 0.01 to 3600; got {period!r}")
        self.p = self.p.model_copy(update={"poll_period_s": float(period)})
        self.emit("state", state="config", poll_period_s=float(period))
        return {"ok": True, "poll_period_s": float(period)}

    # -- acquisition -----------------------------------------------------------------------
    def _report(self, dev, port: str, raw, t: float | None = None) -> None:
        """Decode ``raw`` with the part's driver and emit the sample (or say why not)."""
        try:
            record = {"t": time_key(self.sim.env.now) if t is None else t, "src": dev.id, "kind": "sample",
                      "via": self.id, **dev.decode(raw)}
        except BadReading as exc:
            self._bad_input(dev.id, port, str(exc), exc.link)
            return
        self._deliver(port, record)

    def _deliver(self, port: str, record: dict) -> None:
        src = record["src"]
        if src in self._bad:
            del self._bad[src]
            self.sim.emit(src, "event", via=self.id, input=port, restored=True)
        if src in self._lost:
            self._lost.discard(src)
            self.sim.emit(src, "state", state="online", via=self.id)
        self._emit(record)
        if self._rules and src in self._rules:
            self._check_alarms(src, record)

    def _bad_input(self, src: str, port: str, why: str, link_lost: bool = False) -> None:
        """Report a problem once, not at every poll; a part it cannot reach goes offline."""
        if self._bad.get(src) != why:
            self._bad[src] = why
            self.sim.emit(src, "event", via=self.id, input=port, error=why)
        if link_lost and src not in self._lost:
            self._lost.add(src)
            self.sim.emit(src, "state", state="offline", via=self.id, reason=why)

    def poll(self) -> None:
        report, t, gid = self._report, time_key(self.sim.env.now), self.id
        emit, bad, lost, rules = self._emit, self._bad, self._lost, self._rules
        # Hot path (a thousand-channel gateway polls a thousand times a second): inlined _report.
        for port, link, output, decode, src, dev_port, lsb, fs in self._analog:
            x = 0.0 if link.broken else output(dev_port)
            try:
                record = {"t": t, "src": src, "kind": "sample", "via": gid,
                          **decode(fs if x > fs else round(x / lsb) * lsb)}
            except BadReading as exc:
                self._bad_input(src, port, str(exc), exc.link)
                continue
            if bad or lost or rules:
                self._deliver(port, record)
            else:
                emit(record)
        for port, link, dev, dev_port in self._digital:
            report(dev, port, 0 if link.broken else dev.output(dev_port), t)
        for port, link, dev in self._single:
            frame = None if link.broken else dev.read_frame()
            if frame is None:
                self.emit("frame.lost", port=port, bus="single_wire", reason="no_response", device=dev.id)
                self._bad_input(dev.id, port, "no response on the single-wire pin", link_lost=True)
            else:
                report(dev, port, frame)
        for entry in self._i2c:
            dev, needs_init = entry
            nack = f"no ACK at I2C address 0x{dev.i2c_address:02X}"
            if needs_init:
                if all(i2c_transfer(self, "i2c", dev.i2c_address, w) is not None for w in dev.INIT):
                    entry[1] = False       # first result is ready after the conversion time
                else:
                    self._bad_input(dev.id, "i2c", nack, link_lost=True)
                continue
            data = i2c_transfer(self, "i2c", dev.i2c_address, b"", 2)
            if data is None:
                entry[1] = True            # lost it: initialise again when it is back
                self._bad_input(dev.id, "i2c", nack, link_lost=True)
            else:
                report(dev, "i2c", data)
        if self._modbus and not self._modbus_busy:
            self._modbus_busy = True
            self.sim.env.process(self._modbus_cycle())

    def on_edge(self, port: str, level: int) -> None:
        """A digital input changed: report at once, as an interrupt-driven input would."""
        if not self.powered:
            return
        for name, link, dev, _ in self._digital:
            if name == port:
                self.sim.emit(dev.id, "event", via=self.id, input=port, **dev.decode(level))

    def _modbus_cycle(self):
        env, p = self.sim.env, self.p
        silence = silence_s(p.rs485_baud, p.rs485_parity)
        try:
            for dev, address, function, start, count in self._modbus:
                if not self.powered:
                    return
                request = read_request(address, function, start, count)
                reply = yield from rs485_transaction(
                    self.sim, self, "rs485", request, p.rs485_baud, p.rs485_parity, p.modbus_timeout_s)
                if reply is None:
                    self._bad_input(dev.id, "rs485", f"no reply from Modbus address {address}", link_lost=True)
                else:
                    result = parse_registers_reply(reply, address, function, count)
                    if isinstance(result, list):
                        self._report(dev, "rs485", result)
                    elif result.startswith("exception"):    # a good frame that says no
                        self._bad_input(dev.id, "rs485", f"Modbus {result} from address {address}")
                    else:
                        self.emit("frame.lost", port="rs485", bus="rs485", reason=result, device=dev.id)
                yield env.timeout(silence)
        finally:
            self._modbus_busy = False

    # -- alarms -----------------------------------------------------------------------------
    def _check_alarms(self, dev_id: str, values: dict) -> None:
        """Raise or clear each rule on this device's sample (``values`` holds its readings)."""
        for rule in self._rules[dev_id]:
            value = values.get(rule.field)
            if value is None:
                continue
            key = id(rule)
            raised = self._alarm_state.get(key, False)
            if rule.above is not None:
                now_raised = value > rule.above if not raised else value > rule.above - rule.hysteresis
            else:
                now_raised = value < rule.below if not raised else value < rule.below + rule.hysteresis
            if now_raised != raised:
                self._alarm_state[key] = now_raised
                self.emit("alarm", state="raised" if now_raised else "cleared", device=dev_id,
                          field=rule.field, value=value, rule=rule.describe())
