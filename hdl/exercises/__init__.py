"""HDL exercises: peripherals with a planted bug whose testbench fails until it is fixed (docs/hdl.md)."""
