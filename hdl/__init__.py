"""Amaranth HDL peripherals for the embedded room (planned; see the project's issue list).

Only ``hdl.bridge`` may import ``sim``; ``hdl.regmap`` will be plain data that both the
RTL and the behavioural device models read.
"""
