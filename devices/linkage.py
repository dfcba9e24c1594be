"""Threshold alarms and linkage rules of a gateway ("if temperature > 30 then fan relay on").

Both watch one reading of one device with hysteresis: a rule turns on when the
reading crosses its threshold and off only once it is back by the hysteresis, so a
reading hovering at the threshold does not make a relay chatter. An alarm records
``alarm`` raised/cleared; a rule switches an output on a relay module (a real FC05
frame on the bus) and back when the condition clears.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator

_NUM = r"[-+]?\d+(?:\.\d+)?"
WHEN_RE = re.compile(rf"^\s*([A-Za-z][\w-]*)\.(\w+)\s*(>=|<=|>|<)\s*({_NUM})\s*$")
THEN_RE = re.compile(r"^\s*([A-Za-z][\w-]*)\.(\w+)\s+(on|off)\s*$", re.IGNORECASE)


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    hysteresis: float = Field(0.0, ge=0, description="clear only once the reading is back by this much")

    def crossed(self, value: float, active: bool, above: bool, limit: float, inclusive: bool) -> bool:
        """The rule's state after ``value``, given its state ``active`` before."""
        if above:
            if active:
                return value > limit - self.hysteresis
            return value >= limit if inclusive else value > limit
        if active:
            return value < limit + self.hysteresis
        return value <= limit if inclusive else value < limit


class AlarmRule(_Rule):
    """A threshold on one reading; the gateway raises and clears an alarm record."""
    device: str = Field(description="the sensor whose reading is watched", examples=["th1"])
    field: str = Field(description="the reading, e.g. temperature_c", examples=["temperature_c"])
    above: float | None = Field(None, description="raise when the reading goes above this")
    below: float | None = Field(None, description="raise when the reading goes below this")

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.above is None) == (self.below is None):
            raise ValueError("an alarm rule needs exactly one of above or below")
        return self

    def describe(self) -> str:
        return f"{self.device}.{self.field} {'>' if self.above is not None else '<'} " \
               f"{self.above if self.above is not None else self.below:g}"

    def next_state(self, value: float, active: bool) -> bool:
        above = self.above is not None
        return self.crossed(value, active, above, self.above if above else self.below, False)


class LinkageRule(_Rule):
    """``when: th1.temperature_c > 30`` / ``then: relay1.do1 on``: the output follows the condition."""
    when: str = Field(description='a condition "device.reading OP number", OP one of > >= < <=',
                      examples=["th1.temperature_c > 30"])
    then: str = Field(description='"device.output on|off": what to do while the condition holds; the '
                                  "opposite is done when it clears", examples=["relay1.do1 on"])

    @model_validator(mode="after")
    def _parse(self):
        if not WHEN_RE.match(self.when):
            raise ValueError(f"cannot read when {self.when!r}; write \"device.reading > number\", e.g. "
                             "\"th1.temperature_c > 30\" (operators > >= < <=)")
        if not THEN_RE.match(self.then):
            raise ValueError(f"cannot read then {self.then!r}; write \"device.output on\" or \"... off\", "
                             "e.g. \"relay1.do1 on\"")
        return self

    @property
    def device(self) -> str:
        return WHEN_RE.match(self.when).group(1)

    @property
    def field(self) -> str:
        return WHEN_RE.match(self.when).group(2)

    @property
    def action(self) -> tuple[str, str, bool]:
        """(device, output, state while the condition holds)."""
        dev, out, state = THEN_RE.match(self.then).groups()
        return dev, out, state.lower() == "on"

    def describe(self) -> str:
        return f"when {self.when.strip()} then {self.then.strip()}"

    def next_state(self, value: float, active: bool) -> bool:
        op, limit = WHEN_RE.match(self.when).group(3, 4)
        return self.crossed(value, active, op.startswith(">"), float(limit), op.endswith("="))
