"""Radio faults for any device with radios on the medium: attenuation, interference, jamming."""

from __future__ import annotations

from pydantic import Field

from .faults import FaultParams, FaultSpec


def medium(sim):
    from .radio import medium as lab_medium      # radio.py re-exports this module's names
    return lab_medium(sim)


# -- radio faults, for any device with a radio -----------------------------------------------------------------------
class Attenuation(FaultParams):
    db: float = Field(20.0, ge=0, le=120, description="extra loss on every link of the device, dB (antenna "
                      "knocked off: about 20; module shut in a metal box: 40)")


class Interference(FaultParams):
    noise_dbm: float = Field(-70.0, ge=-130, le=0, description="noise power it adds at the device, on its "
                             "channel, dBm")


class Jamming(FaultParams):
    eirp_dbm: float = Field(20.0, ge=-20, le=40, description="the jammer's radiated power on the device's "
                            "channel, dBm")


class RadioFaults:
    """Radio faults for a device with radios on the medium; mixed in before ``Device``."""
    FAULTS = {
        "attenuation": FaultSpec("attenuation", "its signal is weaker both ways by the given dB (antenna off or "
                                 "shielded): RSSI drops in frame.rx, far links go below sensitivity",
                                 Attenuation),
        "interference": FaultSpec("interference", "a noise source next to it on its channel: its SNR falls, "
                                  "frames it receives are lost with reason noise; CCA may find the channel busy",
                                  Interference),
        "jamming": FaultSpec("jamming", "a jammer at the device transmits on its channel: every receiver in range "
                             "on that channel loses frames (reason noise) and CSMA finds the channel busy",
                             Jamming),
    }

    def fault_on(self, spec, params, port) -> None:
        again = (spec.name, port) in self.faults
        previous = self.faults.get((spec.name, port))
        super().fault_on(spec, params, port)
        m = medium(self.sim)
        nodes = m.nodes_of(self)
        if spec.name == "attenuation":
            delta = params.db - (previous.db if again else 0.0)
            for node in nodes:
                node.extra_loss_db += delta
        elif spec.name in ("interference", "jamming"):
            self._radio_noise_off(spec.name)
            sources = []
            for node in nodes:
                t = node.tech
                eirp = params.noise_dbm + t.ref_loss_db if spec.name == "interference" else params.eirp_dbm
                bw = t.emission_hz or node.bandwidth_hz
                src = m.add_noise(self, t.band, node.freq_hz, bw, eirp)
                src.on = True
                sources.append(src)
            self._radio_noise = {**getattr(self, "_radio_noise", {}), spec.name: sources}

    def fault_off(self, spec, port) -> None:
        previous = self.faults.get((spec.name, port))
        super().fault_off(spec, port)
        if spec.name == "attenuation" and previous is not None:
            for node in medium(self.sim).nodes_of(self):
                node.extra_loss_db -= previous.db
        elif spec.name in ("interference", "jamming"):
            self._radio_noise_off(spec.name)

    def _radio_noise_off(self, name: str) -> None:
        for src in getattr(self, "_radio_noise", {}).pop(name, []):
            src.on = False
            src.remove()
