"""The embedded gateway of the sensor room: it acquires every wired sensor and reports readings.

Its channel drivers are configured from the parts wired to it (as the room's gateway
configuration software would do): analog inputs through a real ADC (bits, full
scale), digital inputs by edge, pulse counters, single-wire pins, a 1-Wire master, an
I2C master that reads each part by its own recipe, and a Modbus RTU master on RS-485
that puts real frames on the bus. Readings go to the trace as
``sample`` records of the sensor they belong to, ``via`` this gateway.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from sim import FaultParams, FaultSpec
from sim.buses import RS485Port
from sim.device import Device, DeviceParams
from sim.fault_effects import FirmwareFaults
from sim.ports import bus, input_of
from sim.trace import time_key

from .analog_in import Channel, Range
from .i2c import I2CMaster
from . import single_wire
from .linkage import AlarmRule, LinkageRule
from .modbus_master import ModbusMaster
from .onewire import OneWireMaster
from .rs485_slave import Baud, Parity
from .sensing import BadReading


class ClockDrift(FaultParams):
    ppm: float = Field(description="how far off its clock is, parts per million (+: fast, -: slow)",
                       ge=-200000, le=200000)


class GatewayParams(DeviceParams):
    poll_period_s: float = Field(1.0, ge=0.01, le=3600, description="how often every channel is read, s")
    poll_offset_s: float = Field(0.0, ge=0, le=3600, description="when the first poll happens after the start, s "
                                 "(gateways switched on at different moments poll out of step)")
    analog_inputs: int = Field(4, ge=0, le=1024, description="number of analog inputs ai1..aiN (voltage or 4-20 mA)")
    digital_inputs: int = Field(4, ge=0, le=64, description="number of digital inputs di1..diN")
    single_wire_pins: int = Field(2, ge=0, le=16, description="number of single-wire pins dio1..dioN")
    pulse_inputs: int = Field(2, ge=0, le=16, description="number of pulse counter inputs pi1..piN")
    adc_bits: int = Field(12, ge=8, le=24, description="ADC resolution, bits")
    ai_ranges: dict[str, Range] = Field(default_factory=dict, description="range of an analog input, e.g. "
                                        "{ai2: 4-20mA}; unset: the range that fits the part wired to it",
                                        examples=[{"ai1": "0-10V", "ai2": "4-20mA"}])
    shunt_ohm: float = Field(250.0, gt=0, le=1000, description="sense resistor fitted where a current loop is "
                             "wired to an analog input, Ω")
    rs485_baud: Baud = Field(9600, description="RS-485 bus speed, bit/s")
    rs485_parity: Parity = Field("N", description="RS-485 parity")
    modbus_timeout_s: float = Field(0.2, gt=0, le=5, description="how long to wait for a slave's reply, s")
    alarms: list[AlarmRule] = Field(default_factory=list, description="threshold alarms on readings")
    rules: list[LinkageRule] = Field(default_factory=list, description="linkage rules: switch a relay module's "
                                     "output while a reading is past a threshold")
    SUPPLY_RANGE_V: ClassVar = (9.0, 36.0)

    @model_validator(mode="after")
    def _range_ports(self):
        for port in self.ai_ranges:
            if not (port.startswith("ai") and port[2:].isdigit() and 1 <= int(port[2:]) <= self.analog_inputs):
                raise ValueError(f"ai_ranges names {port!r}; this gateway's analog inputs are "
                                 f"ai1..ai{self.analog_inputs}")
        return self


class Gateway(FirmwareFaults, RS485Port, Device):
    """Embedded IoT gateway with analog, digital, pulse, single-wire, 1-Wire, I2C and RS-485 inputs."""
    FAMILY = "gateways"
    TITLE, TITLE_ZH = "Embedded gateway (AI/DI/PI/single-wire/1-Wire/I2C/RS-485)", "嵌入式网关"
    SUPPLY_RANGE_V, CURRENT_MA = (9.0, 36.0), 250.0
    Params = GatewayParams
    COMMANDS = {"set_poll_period": "period_s: new polling period, 0.01 to 3600 seconds",
                "stats": "per RS-485 slave: polls, good replies, timeouts, CRC errors, exceptions, collisions"}

    FAULTS = {"clock_drift": FaultSpec("clock_drift", "its crystal runs fast or slow: it polls a little too often "
                                       "or too rarely, and its schedule slides against everyone else's",
                                       ClockDrift)}

    @property
    def period_s(self) -> float:
        """The poll period by the gateway's own clock, in true seconds."""
        drift = self.faults.get(("clock_drift", None))
        return self.p.poll_period_s / (1.0 + drift.ppm * 1e-6) if drift is not None else self.p.poll_period_s

    @classmethod
    def port_specs(cls, params):
        ports = {f"ai{i}": input_of("analog_v", "current_loop", doc="analog input")
                 for i in range(1, params.analog_inputs + 1)}
        ports.update({f"di{i}": input_of("digital", doc="digital input") for i in range(1, params.digital_inputs + 1)})
        ports.update({f"dio{i}": input_of("single_wire", doc="single-wire pin")
                      for i in range(1, params.single_wire_pins + 1)})
        ports.update({f"pi{i}": input_of("pulse", doc="pulse counter input")
                      for i in range(1, params.pulse_inputs + 1)})
        ports["ow"] = bus("onewire", "1-Wire master (4.7 kΩ pull-up)")
        ports["rs485"] = bus("rs485", "RS-485 master (Modbus RTU)")
        ports["i2c"] = bus("i2c", "I2C master")
        return ports

    @classmethod
    def cross_check(cls, params, devices):
        names = ", ".join(devices)
        out = []

        def field_problem(path, dev, field, what):
            if dev not in devices:
                return [(path, f"{what} names no device {dev!r}; devices: {names}")]
            dev_cls, dev_params = devices[dev]
            if dev_cls is None or dev_params is None:
                return []
            fields = dev_cls.trace_fields(dev_params)
            if field not in fields:
                return [(path, f"{what}: {dev} has no reading {field!r}; its readings: {', '.join(fields)}")]
            return []
        for i, rule in enumerate(params.alarms):
            out += field_problem(("alarms", i, "device"), rule.device, rule.field, "alarm rule")
        for i, rule in enumerate(params.rules):
            out += field_problem(("rules", i, "when"), rule.device, rule.field, "rule")
            target, output, _ = rule.action
            if target not in devices:
                out.append((("rules", i, "then"), f"rule names no device {target!r}; devices: {names}"))
                continue
            dev_cls, dev_params = devices[target]
            if dev_cls is None or dev_params is None:
                continue
            if not hasattr(dev_cls, "write_request"):
                out.append((("rules", i, "then"), f"rule: {target} is a {dev_cls.TYPE}, not an output module a "
                                                  "gateway can switch over RS-485 (e.g. a relay_module)"))
                continue
            outputs = [p for p, spec in dev_cls.port_specs(dev_params).items() if spec.form == "switched"]
            if output not in outputs:
                out.append((("rules", i, "then"), f"rule: {target} has no output {output!r}; outputs: "
                                                  f"{', '.join(outputs)}"))
        return out

    def start(self) -> None:
        self._analog, self._digital, self._single, self._pulse = [], [], [], []
        for name, port in self.ports.items():
            if not self.links[name] or port.role != "input":
                continue
            link = self.links[name][0]
            dev, dev_port = link.peer(self)
            if name.startswith("ai"):
                channel = Channel(dev, dev_port, self.p.ai_ranges.get(name), self.p.shunt_ohm, self.p.adc_bits)
                self._analog.append((name, link, channel.read, dev.id))
            elif name.startswith("dio"):
                self._single.append((name, link, dev))
            elif name.startswith("pi"):
                self._pulse.append([name, link, dev, dev_port, self.sim.env.now, 0])
            else:
                decode = dev.decoder(dev_port) if hasattr(dev, "decoder") else dev.decode
                self._digital.append((name, link, dev, dev_port, decode))
        self._i2c = I2CMaster(self, "i2c", self._report, self._bad_input)
        self._onewire = OneWireMaster(self, "ow", self._report, self._bad_input)
        self._master = ModbusMaster(self, "rs485", self._modbus_values, self._modbus_problem)
        self._emit = self.sim.trace.emit
        self._bad: dict[str, str] = {}          # device -> the problem last reported
        self._lost: set[str] = set()            # devices this gateway cannot reach: status offline
        self._rules: dict[str, list] = {}
        self._rule_state: dict[int, bool] = {}
        for rule in [*self.p.alarms, *self.p.rules]:
            self._rules.setdefault(rule.device, []).append(rule)
        self._master.start()
        self.sim.env.process(self._run())

    def _run(self):
        env = self.sim.env
        if self.p.poll_offset_s:
            yield env.timeout(self.p.poll_offset_s)
        while True:
            if self.powered:
                self.poll()
            yield env.timeout(self.period_s)

    def command(self, name, args):
        if name == "stats":
            return {"ok": True, "slaves": {dev: st.as_dict() for dev, st in self._master.stats.items()}}
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
            self._check_rules(src, record)

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
        for port, link, read, src in self._analog:
            try:
                record = {"t": t, "src": src, "kind": "sample", "via": gid, **read(link.broken)}
            except BadReading as exc:
                self._bad_input(src, port, str(exc), exc.link)
                continue
            if bad or lost or rules:
                self._deliver(port, record)
            else:
                emit(record)
        for port, link, dev, dev_port, decode in self._digital:
            level = 0 if link.broken else dev.output(dev_port)
            self._deliver(port, {"t": t, "src": dev.id, "kind": "sample", "via": gid, **decode(level)})
        if self._pulse:
            self._count_pulses()
        for port, link, dev in self._single:
            pulses = None if link.broken else dev.read_waveform()
            frame = "no_response" if pulses is None else single_wire.read(pulses)
            if frame == "no_response":
                self.emit("frame.lost", port=port, bus="single_wire", reason="no_response", device=dev.id)
                self._bad_input(dev.id, port, "no response on the single-wire pin", link_lost=True)
            elif isinstance(frame, str):
                self.emit("frame.lost", port=port, bus="single_wire", reason=frame, device=dev.id)
            else:
                report(dev, port, frame)
        self._i2c.poll()
        self._onewire.poll()

    def _count_pulses(self) -> None:
        """Each pulse input: the pulses counted since the last poll, as a rate and a running total.
        A gap longer than two poll periods (the gateway was off) restarts the count."""
        now = self.sim.env.now
        for entry in self._pulse:
            port, link, dev, dev_port, since, total = entry
            count = dev.pulses(dev_port)
            period = now - since
            entry[4] = now
            if link.broken:
                count = 0
            if period <= 0.0 or period > 2.0 * self.p.poll_period_s + 1e-9:
                continue
            entry[5] = total = total + count
            self._report(dev, port, (count, total, period))

    def on_edge(self, port: str, level: int) -> None:
        """A digital input changed: report at once, as an interrupt-driven input would."""
        if not self.powered:
            return
        for name, link, dev, _, decode in self._digital:
            if name == port:
                self.sim.emit(dev.id, "event", via=self.id, input=port, **decode(level))

    # -- RS-485 ---------------------------------------------------------------------------------
    def _modbus_values(self, dev, values) -> None:
        """A good reply from a polled slave: its reading, or (a DAQ module) those of the parts on it."""
        samples = getattr(dev, "samples", None)
        if samples is None:
            self._report(dev, "rs485", values)
            return
        t = time_key(self.sim.env.now)
        for src, port, result in samples(values):
            if isinstance(result, BadReading):
                self._bad_input(src, port, str(result), result.link)
            else:
                self._deliver(port, {"t": t, "src": src, "kind": "sample", "via": self.id, **result})

    def _modbus_problem(self, dev, why: str, link_lost: bool) -> None:
        for src in getattr(dev, "served", lambda: [dev.id])():
            self._bad_input(src, "rs485", why, link_lost)

    # -- alarms and linkage rules -------------------------------------------------------------------
    def _check_rules(self, dev_id: str, values: dict) -> None:
        """Move each alarm and rule on this device's sample (``values`` holds its readings)."""
        for rule in self._rules[dev_id]:
            value = values.get(rule.field)
            if value is None:
                continue
            key = id(rule)
            active = self._rule_state.get(key, False)
            now_active = rule.next_state(value, active)
            if now_active == active:
                continue
            self._rule_state[key] = now_active
            if isinstance(rule, AlarmRule):
                self.emit("alarm", state="raised" if now_active else "cleared", device=dev_id,
                          field=rule.field, value=value, rule=rule.describe())
            else:
                self._act(rule, now_active, value)

    def _act(self, rule: LinkageRule, active: bool, value: float) -> None:
        target_id, output, state = rule.action
        state = state if active else not state
        self.emit("rule", state="on" if active else "off", rule=rule.describe(), value=value)
        target = self.sim.devices[target_id]
        write = getattr(target, "write_request", None)
        if write is None or target not in [d for d, _ in (self.nets["rs485"].members if "rs485" in self.nets else [])]:
            self.emit("event", error=f"rule {rule.describe()!r}: {target_id} is not an output module on this "
                                     "gateway's RS-485 bus")
            return
        try:
            request = write(output, state)
        except ValueError as exc:
            self.emit("event", error=f"rule {rule.describe()!r}: {exc}")
            return
        self._master.queue_write(target, request, f"{output} {'on' if state else 'off'}")
