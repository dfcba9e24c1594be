"""The iotlab kernel: clock, random streams, trace, scenario files, bus physics, faults, sinks, CLI.

Nothing here imports a device model, the HDL or the viewer; devices are reached
through the registry (``sim.registry``). Public names are loaded on first use, so
``iotlab --help`` does not pay for numpy, SimPy and pydantic.
"""

from importlib import import_module

_EXPORTS = {
    "Device": "device", "DeviceParams": "device",
    "FaultParams": "faults", "FaultSpec": "faults", "faults_of": "faults",
    "Inbox": "inbox", "Message": "inbox",
    "FORMS": "ports", "Port": "ports", "bus": "ports", "input_of": "ports", "source": "ports",
    "normals": "rng", "stream": "rng",
    "Simulation": "simulation",
    "CounterSink": "sinks", "CsvSink": "sinks", "JsonlSink": "sinks", "RingSink": "sinks",
    "TraceBus": "trace",
    "format_duration": "units", "parse_duration": "units",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
