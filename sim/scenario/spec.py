"""The scenario file format, as typed specs. The reference teachers read is generated from these."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, PrivateAttr, Tag,
                      field_validator, model_validator)

from ..environment import QUANTITIES
from ..units import parse_duration
from ..uart import BAUDS

Duration = Annotated[float, BeforeValidator(parse_duration)]
Point = tuple[float, float]
MATERIALS = ("concrete", "brick", "drywall", "glass", "wood", "metal")
ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_-]{0,39}$"
WIRE_RE = re.compile(r"^\s*([^.\s]+)\.([^\s]+)\s*(?:->|<->|--)\s*([^.\s]+)\.([^\s]+)\s*$")


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Wall(Spec):
    """A wall segment on the floor plan; radio signals lose strength crossing it."""
    from_m: Point = Field(description="one end, metres from the room's corner", examples=[[0, 0]])
    to_m: Point = Field(description="the other end, metres", examples=[[12, 0]])
    material: Literal[MATERIALS] = Field("brick", description="what it is built of: " + ", ".join(MATERIALS))


class Bench(Spec):
    """A lab bench: a rectangle drawn on the plan, with a label."""
    pos_m: Point = Field(description="bench corner, metres", examples=[[1, 1]])
    size_m: Point = Field((1.8, 0.8), description="width and depth, metres")
    label: str = Field("", description="text shown on the plan", examples=["Bench 1"])


class Campus(Spec):
    """The outdoor plan around the room, for long-range radios (LoRa, NB-IoT): devices with
    `plan: campus` are placed on it, and the room sits on it at `room_at_m`."""
    size_m: Point = Field(description="width and depth of the campus, metres", examples=[[2000, 1500]])
    room_at_m: Point = Field((0.0, 0.0), description="where the room's corner is on the campus, metres",
                             examples=[[600, 400]])
    walls: list[Wall] = Field(default_factory=list, description="outer walls of other buildings, campus metres")

    @field_validator("size_m")
    @classmethod
    def _positive(cls, v: Point) -> Point:
        if min(v) <= 0:
            raise ValueError(f"campus size must be positive in both directions, got {list(v)}")
        return v


class Room(Spec):
    """The floor plan."""
    size_m: Point = Field(description="width and depth of the room, metres", examples=[[12, 8]])
    walls: list[Wall] = Field(default_factory=list, description="wall segments")
    benches: list[Bench] = Field(default_factory=list, description="lab benches")
    campus: Campus | None = Field(None, description="the outdoor plan around the room (unset: the room only)")

    @field_validator("size_m")
    @classmethod
    def _positive(cls, v: Point) -> Point:
        if min(v) <= 0:
            raise ValueError(f"room size must be positive in both directions, got {list(v)}")
        return v


class QuantitySpec(Spec):
    """One physical quantity of the room. Every key is optional: unset keys keep the built-in value."""
    base: float | None = Field(None, description="mean value, in the quantity's unit", examples=[24])
    daily_amplitude: float | None = Field(None, description="half the day-night swing (negative: lowest at peak_hour)", examples=[2])
    peak_hour: float | None = Field(None, ge=0, le=24, description="hour of day of the daily maximum", examples=[15])
    noise: float | None = Field(None, ge=0, description="standard deviation of slow random variation", examples=[0.3])
    noise_tau_s: float | None = Field(None, ge=10, description="how slowly that variation wanders, seconds", examples=[600])
    per_person: float | None = Field(None, description="added for each person in the room (occupancy)", examples=[15])
    min: float | None = Field(None, description="physical lower limit")
    max: float | None = Field(None, description="physical upper limit")

    @model_validator(mode="after")
    def _limits(self):
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        return self


class Event(Spec):
    """A scripted change to the room: a door opens, the lights go on, a class arrives."""
    at: Duration = Field(description="when it happens (a duration from the start)", examples=["10m"])
    name: str = Field("", description="what happens, for the trace", examples=["door opens"])
    change: dict[Literal[tuple(QUANTITIES)], float] = Field(
        description="how much each quantity rises (negative: falls)", examples=[{"temperature": -3, "humidity": 8}])
    ramp_s: float = Field(0.0, ge=0, description="how long the change takes to build up (and to fade), seconds", examples=[60])
    duration: Duration | None = Field(None, description="how long it lasts before fading back; unset: it stays", examples=["5m"])


class EnvironmentSpec(Spec):
    """The room's physical quantities over time."""
    start_time: str = Field("08:00", pattern=r"^([01]?\d|2[0-3]):[0-5]\d$",
                            description="time of day at the start of the run (HH:MM)", examples=["08:00"])
    temperature: QuantitySpec = Field(default_factory=QuantitySpec, description="air temperature, °C")
    humidity: QuantitySpec = Field(default_factory=QuantitySpec, description="relative humidity, %RH")
    illuminance: QuantitySpec = Field(default_factory=QuantitySpec, description="light level, lux")
    co2: QuantitySpec = Field(default_factory=QuantitySpec, description="carbon dioxide, ppm")
    gas: QuantitySpec = Field(default_factory=QuantitySpec, description="combustible gas / smoke, ppm")
    occupancy: QuantitySpec = Field(default_factory=QuantitySpec, description="people in the room")
    door_open: QuantitySpec = Field(default_factory=QuantitySpec, description="the door: 0 shut, 1 open")
    flame: QuantitySpec = Field(default_factory=QuantitySpec,
                                description="infrared from an open flame at the flame sensor, 0 none .. 1 a lighter "
                                            "at 20 cm")
    water_leak: QuantitySpec = Field(default_factory=QuantitySpec, description="water on the floor probe: 0 dry, 1 wet")
    soil_moisture: QuantitySpec = Field(default_factory=QuantitySpec,
                                        description="soil volumetric water content, %VWC (100: the probe in water)")
    rain_mm_h: QuantitySpec = Field(default_factory=QuantitySpec, description="rain intensity, mm/h")
    flow_l_min: QuantitySpec = Field(default_factory=QuantitySpec, description="water flow in the pipe, L/min")
    wind_m_s: QuantitySpec = Field(default_factory=QuantitySpec, description="wind speed, m/s")
    events: list[Event] = Field(default_factory=list, description="scripted changes")

    @model_validator(mode="after")
    def _limits_with_defaults(self):
        for name, defaults in QUANTITIES.items():
            spec = getattr(self, name)
            low = defaults["min"] if spec.min is None else spec.min
            high = defaults["max"] if spec.max is None else spec.max
            if low >= high:
                raise ValueError(f"{name}: min {low:g} must be below max {high:g} (built-in limits: "
                                 f"{defaults['min']:g}..{defaults['max']:g})")
        return self


class DeviceSpec(BaseModel):
    """A device on the plan. Keys other than these are the device type's parameters
    (see the device catalogue below, or `iotlab devices TYPE`)."""
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    id: str = Field(pattern=ID_PATTERN, description="unique name: a letter, then letters, digits, _ or -", examples=["th1"])
    type: str = Field(description="device type from the catalogue", examples=["rs485_th"])
    pos_m: Point = Field((0.0, 0.0), description="position on the plan, metres", examples=[[2.5, 1.5]])
    plan: Literal["room", "campus"] = Field("room", description="which plan pos_m is on: the room, or the "
                                            "campus around it (room.campus; outdoor LoRa and NB-IoT parts)")
    label: str = Field("", description="text shown next to the device", examples=["bench 1 thermometer"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class FaultEntry(BaseModel):
    """A fault on the timeline. Keys other than these are the fault's parameters."""
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    at: Duration | None = Field(None, description="when the fault appears (or give when)", examples=["5m"])
    when: str | None = Field(None, description="appear the first time this condition holds, instead of at "
                             "(the check language, e.g. th1.temperature_c > 40)", examples=["th1.temperature_c > 40"])
    target: str = Field(description="a device (th1) or a device's port, for wire faults (th1.rs485)", examples=["th1"])
    fault: str = Field(description="fault name from the device's catalogue entry", examples=["power_loss"])
    duration: Duration | None = Field(None, description="how long it lasts; unset (and no until): to the end", examples=["2m"])
    until: Duration | None = Field(None, description="when it clears (instead of duration)", examples=["8m"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def end_s(self) -> float | None:
        if self.until is not None:
            return self.until
        return None if self.duration is None or self.at is None else self.at + self.duration

    @model_validator(mode="after")
    def _at_or_when(self):
        if (self.at is None) == (self.when is None):
            raise ValueError("a fault needs exactly one of at (a time) or when (a condition)")
        if self.when is not None and self.until is not None:
            raise ValueError("a fault with when takes a duration, not until")
        return self


class RandomFault(BaseModel):
    """Faults that come and go at random on some devices: time between failures and time to repair
    are exponential with these means. Keys other than these are the fault's parameters."""
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    devices: list[str] = Field(min_length=1, description="the devices it may strike", examples=[["th1", "co2"]])
    fault: str = Field(description="fault name from the devices' catalogue entries", examples=["power_loss"])
    mtbf: Duration = Field(gt=0, description="mean time between failures, per device", examples=["2h"])
    mttr: Duration = Field(gt=0, description="mean time to repair", examples=["5m"])

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


Text = str | dict[Literal["en", "zh"], str]


class Answer(Spec):
    device: str | None = Field(None, description="the device the answer must name", examples=["th1"])
    fault: str | None = Field(None, description="the fault the answer must name", examples=["power_loss"])

    @model_validator(mode="after")
    def _something(self):
        if self.device is None and self.fault is None:
            raise ValueError("an answer key needs a device, a fault or both")
        return self


class Task(Spec):
    """Something the student must do or find; checked on the trace, or a diagnosis answer."""
    id: str = Field(pattern=ID_PATTERN, description="short name, used by iotlab answer", examples=["find-fault"])
    title: Text = Field(description="what to do, in English and/or Chinese",
                        examples=[{"en": "Find the faulty sensor", "zh": "找出故障传感器"}])
    points: float = Field(1.0, gt=0, le=1000, description="marks for the task", examples=[10])
    check: str | None = Field(None, description="a check in the check language, judged on the run",
                              examples=["th1.temperature_c > 30 -> within(5s, relay1.do1 == 1)"])
    answer: Answer | None = Field(None, description="the diagnosis key: a free-text answer must name these")
    attempts: int = Field(3, ge=1, le=100, description="answers counted (the last one within this many)")

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.check is None) == (self.answer is None):
            raise ValueError("a task needs exactly one of check or answer")
        return self


class Variable(Spec):
    """A value drawn per student: one of a list, or a number in a range."""
    choice: list[str | int | float] | None = Field(None, min_length=1, max_length=1000,
                                                   description="draw one of these", examples=[["th1", "lux2", "co2"]])
    range: tuple[float, float] | None = Field(None, description="draw a number in [low, high]", examples=[[120, 300]])
    step: float | None = Field(None, gt=0, description="with range: only multiples of this above low", examples=[30])

    @model_validator(mode="after")
    def _one_kind(self):
        if (self.choice is None) == (self.range is None):
            raise ValueError("a variable needs exactly one of choice or range")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range {list(self.range)}: low must be below high")
        if self.step is not None and self.range is None:
            raise ValueError("step goes with range")
        if self.range is not None and max(abs(self.range[0]), abs(self.range[1])) > 1e9:
            raise ValueError("range values must be within ±1e9")
        if self.step is not None and (self.range[1] - self.range[0]) / self.step > 1e6:
            raise ValueError("step is too small: at most a million values in the range")
        return self

    def candidates(self) -> list:
        """Values worth validating the file with: every choice, or a range's ends and middle."""
        if self.choice is not None:
            return list(self.choice)
        lo, hi = self.range
        if self.step:
            top = lo + int((hi - lo) // self.step) * self.step
            return sorted({lo, top, lo + int((top - lo) / self.step / 2) * self.step})
        return [lo, (lo + hi) / 2, hi]


class SerialSpec(Spec):
    """A device's UART on a real terminal while the lab runs (`iotlab run --serial` adds or replaces these)."""
    device: str = Field(description="the device (or device.port, for a device with several UARTs)",
                        examples=["esp1"])
    pty: bool = Field(False, description="open a pseudo-terminal (/dev/pts/N, printed at start) for picocom, "
                                         "a serial assistant or pyserial")
    tcp_port: int | None = Field(None, ge=0, le=65535, description="also (or instead) a raw TCP port on "
                                 "127.0.0.1 (0: any free port); `iotlab serial PORT` is a terminal for it",
                                 examples=[7001])
    baud: Literal[BAUDS] | None = Field(None, description="the terminal's speed, bit/s; unset: always the "
                                        "module's own (a different speed shows garbage, as on the bench)",
                                        examples=[115200])

    @model_validator(mode="after")
    def _somewhere(self):
        if not self.pty and self.tcp_port is None:
            raise ValueError("say where: pty: true and/or tcp_port: PORT")
        return self


class Wire(Spec):
    """A wire with details: its length (RS-485 reflections grow with it) and, on an RS-485 pair,
    whether A and B were swapped at one end."""
    wire: str = Field(description='"dev.port -> dev.port"', examples=["gw.rs485 -> th1.rs485"])
    length_m: float = Field(1.0, gt=0, le=5000, description="cable length, m (RS-485 trunk: up to 1200 m)",
                            examples=[300])
    swap_ab: bool = Field(False, description="RS-485 only: A and B are crossed at one end (the bus reads nothing)")


def _wire_form(value: Any) -> str | None:
    return "text" if isinstance(value, str) else "mapping" if isinstance(value, dict) else None


WireEntry = Annotated[Union[Annotated[str, Tag("text")], Annotated[Wire, Tag("mapping")]],
                      Discriminator(_wire_form, custom_error_type="wire",
                                    custom_error_message='must be text "dev.port -> dev.port" or a mapping '
                                                         '{wire: "dev.port -> dev.port", length_m: ..., swap_ab: ...}')]


def wire_text(entry: "str | Wire") -> str:
    return entry.wire if isinstance(entry, Wire) else entry


class RadioSpec(Spec):
    """The radio medium's options (see docs/wireless.md)."""
    shadowing: bool = Field(True, description="log-normal shadowing, fixed per link by the seed")
    fading: Literal["none", "rayleigh"] = Field("none", description="fast fading drawn for every frame: "
                                                "none, or rayleigh (links near the edge come and go)")


class Scenario(Spec):
    """A training-room scenario: the room, its environment, its devices and wires, and a fault timeline."""
    _student: str = PrivateAttr("")          # whose variant this is (loader)
    _dir: str = PrivateAttr("")              # the folder of the scenario file (loader): relative paths in it
    _variant: dict = PrivateAttr(default_factory=dict)
    name: str = Field(description="title shown to students", examples=["Sensor application room"])
    lab: str = Field("", pattern=r"^$|" + ID_PATTERN,
                     description="lab id (MQTT topics, trace); default: the file name", examples=["sensor-lab"])
    description: str = Field("", description="what this scenario is for")
    seed: int = Field(1, ge=0, description="random seed: same seed, same trace", examples=[42])
    duration: Duration = Field(600.0, gt=0, description="default run length (iotlab run --until overrides)", examples=["10m"])
    room: Room = Field(description="the floor plan")
    radio: RadioSpec = Field(default_factory=RadioSpec, description="how radio links fade")
    environment: EnvironmentSpec = Field(default_factory=EnvironmentSpec, description="the room's physical quantities")
    devices: list[DeviceSpec] = Field(min_length=1, description="the devices in the room")
    wiring: list[WireEntry] = Field(default_factory=list,
                                     description='wires, each "dev.port -> dev.port" or {wire: ..., length_m: ..., '
                                                 'swap_ab: ...}',
                                     examples=[["gw.rs485 -> th1.rs485",
                                                {"wire": "gw.rs485 -> co2.rs485", "length_m": 300}]])
    faults: list[FaultEntry] = Field(default_factory=list, description="the fault timeline")
    serial: list[SerialSpec] = Field(default_factory=list, description="UARTs exposed as a pseudo-terminal "
                                     "and/or a TCP port while the lab runs", examples=[[{"device": "esp1", "pty": True}]])
    random_faults: list[RandomFault] = Field(default_factory=list, description="faults that come and go at "
                                             "random (MTBF/MTTR)")
    variables: dict[str, Variable] = Field(default_factory=dict, description="values drawn per student id; "
                                           "${name} in the file's text values uses them")
    tasks: list[Task] = Field(default_factory=list, description="the exercise: what the student must do or find")
