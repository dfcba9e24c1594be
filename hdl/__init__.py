"""Amaranth HDL peripherals for the embedded room: GPIO, timer/PWM and UART (docs/hdl.md).

``hdl.regmap`` is plain data that both the RTL (``hdl.gpio``, ``hdl.timer``, ``hdl.uart``) and the
behavioural models (``hdl.models``) read; only ``hdl.bridge`` may meet ``sim``. This package
imports nothing on its own, so reading the register map does not load amaranth.
"""
