"""Radio technologies: what the medium needs to know about each PHY.

A ``Tech`` holds a PHY's frequency plan, bandwidth, bit rate, default and maximum transmit
power, sensitivity, noise figure, PER curve, capture threshold, clear-channel threshold,
per-frame overhead, and the log-distance propagation model the medium uses for a receiver
of that kind (reference loss at 1 m, exponent, shadowing sigma). ``band`` names an
interference domain: transmissions interfere only inside one band, and there only as far as
their spectra overlap. The sensitivity is where the PER of a ``ref_bytes`` frame is 50 %.

Figures: LoRa from the SX1276 datasheet and the ns-3 lorawan module (loss 7.7 dB at 1 m,
exponent 3.76) with LoRaSim's shadowing (sigma 3.57 dB); 802.15.4 from the CC2530 datasheet
(-97 dBm, +4.5 dBm); Wi-Fi from the ESP8266 datasheet (11g 54 Mbit/s: -75 dBm, +17 dBm);
BLE from the CC2541 (HM-10: -94 dBm, 0 dBm); classic Bluetooth from the HC-05 sheet (-80 dBm,
+4 dBm, 79 hop channels); NB-IoT and 5G NR (n78) from 3GPP-typical figures. Indoor 2.4 GHz
links use free space to 1 m (40.05 dB) and exponent 3.0 beyond.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import radio_physics as rp


#: Values that depend only on a technology and a setting (noise in a bandwidth, a rate's sensitivity ...).
_CACHE: dict[tuple, float] = {}


@dataclass(frozen=True)
class Tech:
    name: str
    title: str
    band: str                          # interference domain
    channels: tuple[int, int]          # valid channel numbers, inclusive
    channel_hz: Callable[[int], float]  # centre frequency of a channel
    bandwidth_hz: float                # receiver (noise) bandwidth
    bitrate_bps: float
    tx_power_dbm: float                # default
    max_tx_power_dbm: float
    sensitivity_dbm: float             # PER 50 % for a ref_bytes frame at the default rate
    noise_figure_db: float
    ref_loss_db: float                 # path loss at 1 m
    exponent: float
    shadow_sigma_db: float
    capture_db: float                  # SIR a frame needs to survive a co-channel overlap
    per_width_db: float = 1.0          # logistic width of the PER curve
    ref_bytes: int = 20
    overhead_bytes: int = 0            # PHY/MAC bytes added to a payload on air
    preamble_s: float = 0.0
    cca_dbm: float | None = None       # energy above this at a node: the channel is busy
    emission_hz: float | None = None   # occupied spectrum if wider than bandwidth_hz (hopping)
    nominal_hz: float = 2.44e9         # frequency used for wall losses
    rates: dict = field(default_factory=dict)   # rate -> (bitrate bps, sensitivity dBm)

    # -- rates --------------------------------------------------------------------------------
    def check_channel(self, channel: int) -> None:
        lo, hi = self.channels
        if not (isinstance(channel, (int, np.integer)) and lo <= channel <= hi):
            raise ValueError(f"{self.name} channel must be {lo}..{hi}, got {channel!r}")

    def rate_bitrate_bps(self, rate, bandwidth_hz: float | None = None, coding_rate: int = 1) -> float:
        if rate is None:
            return self.bitrate_bps
        return self.rates[rate][0]

    def rate_sensitivity_dbm(self, rate, bandwidth_hz: float | None = None) -> float:
        if rate is None:
            return self.sensitivity_dbm
        return self.rates[rate][1]

    def noise_dbm(self, bandwidth_hz: float | None = None) -> float:
        key = (self.name, "noise", bandwidth_hz)
        value = _CACHE.get(key)
        if value is None:
            value = _CACHE[key] = float(rp.thermal_noise_dbm(bandwidth_hz or self.bandwidth_hz, self.noise_figure_db))
        return value

    def snr50_db(self, rate=None, bandwidth_hz: float | None = None) -> float:
        key = (self.name, "snr50", rate, bandwidth_hz)
        value = _CACHE.get(key)
        if value is None:
            bw = bandwidth_hz or self.bandwidth_hz
            value = _CACHE[key] = self.rate_sensitivity_dbm(rate, bw) - self.noise_dbm(bw)
        return value

    def per(self, snr_db, n_bytes, rate=None, bandwidth_hz: float | None = None):
        """Packet error rate of an ``n_bytes`` payload at ``snr_db`` (vectorised)."""
        ref = rp.per_logistic(snr_db, self.snr50_db(rate, bandwidth_hz), self.per_width_db)
        return rp.per_for_length(ref, np.asarray(n_bytes) + self.overhead_bytes, self.ref_bytes + self.overhead_bytes)

    def per_one(self, snr_db: float, n_bytes: int, rate=None, bandwidth_hz: float | None = None) -> float:
        """``per`` for one frame, in plain floats (the medium calls it for every reception)."""
        x = (snr_db - self.snr50_db(rate, bandwidth_hz)) / self.per_width_db
        ref = 1.0 / (1.0 + math.exp(min(60.0, max(-60.0, x))))
        if ref <= 0.0:
            return 0.0
        return 1.0 - (1.0 - ref) ** ((n_bytes + self.overhead_bytes) / (self.ref_bytes + self.overhead_bytes))

    def airtime_s(self, n_bytes: int, rate=None, bandwidth_hz: float | None = None, coding_rate: int = 1,
                  preamble_symbols: int = 8) -> float:
        bits = (n_bytes + self.overhead_bytes) * 8
        return self.preamble_s + bits / self.rate_bitrate_bps(rate, bandwidth_hz, coding_rate)

    def lock_s(self, rate=None, bandwidth_hz: float | None = None, preamble_symbols: int = 8) -> float:
        """How far into a frame a receiver must have locked: interference before this is harmless."""
        return 0.0


@dataclass(frozen=True)
class LoRaTech(Tech):
    """LoRa: ``rate`` is the spreading factor 7..12; bandwidth and coding rate are per node."""

    def rate_bitrate_bps(self, rate, bandwidth_hz=None, coding_rate=1):
        return float(rp.lora_bitrate_bps(rate or 7, bandwidth_hz or self.bandwidth_hz, coding_rate))

    def rate_sensitivity_dbm(self, rate, bandwidth_hz=None):
        key = (self.name, "sens", rate, bandwidth_hz)
        value = _CACHE.get(key)
        if value is None:
            value = _CACHE[key] = float(rp.lora_sensitivity_dbm(rate or 7, bandwidth_hz or self.bandwidth_hz))
        return value

    def airtime_s(self, n_bytes, rate=None, bandwidth_hz=None, coding_rate=1, preamble_symbols=8):
        key = (self.name, "air", n_bytes, rate, bandwidth_hz, coding_rate, preamble_symbols)
        value = _CACHE.get(key)
        if value is None:
            value = _CACHE[key] = float(rp.lora_airtime_s(n_bytes, rate or 7, bandwidth_hz or self.bandwidth_hz,
                                                          coding_rate, preamble_symbols))
        return value

    def lock_s(self, rate=None, bandwidth_hz=None, preamble_symbols=8):
        """The receiver needs the last 6 preamble symbols: an interferer that ends before them is harmless."""
        return max(0, preamble_symbols - 6) * float(rp.lora_symbol_time_s(rate or 7, bandwidth_hz or self.bandwidth_hz))


def _mhz(base: float, step: float, first: int = 0) -> Callable[[int], float]:
    return lambda ch: (base + step * (ch - first)) * 1e6


TECHS: dict[str, Tech] = {t.name: t for t in (
    LoRaTech("lora", "LoRa (SX127x/SX1301)", band="sub1g", channels=(0, 255),
             channel_hz=_mhz(410.0, 1.0), bandwidth_hz=125e3, bitrate_bps=5469.0, tx_power_dbm=14.0,
             max_tx_power_dbm=22.0, sensitivity_dbm=-124.0, noise_figure_db=6.0, ref_loss_db=7.7,
             exponent=3.76, shadow_sigma_db=3.57, capture_db=6.0, per_width_db=0.5, nominal_hz=470e6),
    Tech("zigbee", "IEEE 802.15.4 / ZigBee (CC2530)", band="2g4", channels=(11, 26),
         channel_hz=lambda ch: float(rp.ieee802154_channel_hz(ch)), bandwidth_hz=2e6,
         bitrate_bps=rp.IEEE802154_BITRATE_BPS, tx_power_dbm=4.5, max_tx_power_dbm=20.0,
         sensitivity_dbm=-97.0, noise_figure_db=10.0, ref_loss_db=40.05, exponent=3.0, shadow_sigma_db=4.0,
         capture_db=4.0, per_width_db=1.0, ref_bytes=20, overhead_bytes=rp.IEEE802154_SHR_PHR_BYTES,
         cca_dbm=-77.0),
    Tech("wifi", "Wi-Fi 802.11b/g/n 2.4 GHz (ESP8266)", band="2g4", channels=(1, 13),
         channel_hz=_mhz(2412.0, 5.0, 1), bandwidth_hz=20e6, bitrate_bps=54e6, tx_power_dbm=17.0,
         max_tx_power_dbm=20.5, sensitivity_dbm=-75.0, noise_figure_db=8.0, ref_loss_db=40.05, exponent=3.0,
         shadow_sigma_db=4.0, capture_db=10.0, per_width_db=1.0, ref_bytes=100, overhead_bytes=34,
         preamble_s=20e-6, cca_dbm=-82.0, emission_hz=22e6,
         rates={1e6: (1e6, -98.0), 11e6: (11e6, -91.0), 54e6: (54e6, -75.0), 72.2e6: (72.2e6, -72.0)}),
    Tech("ble", "Bluetooth Low Energy 1M PHY (CC2541, HM-10)", band="2g4", channels=(0, 39),
         channel_hz=_mhz(2402.0, 2.0), bandwidth_hz=1e6, bitrate_bps=1e6, tx_power_dbm=0.0,
         max_tx_power_dbm=6.0, sensitivity_dbm=-94.0, noise_figure_db=10.0, ref_loss_db=40.05, exponent=3.0,
         shadow_sigma_db=4.0, capture_db=8.0, per_width_db=1.0, ref_bytes=20, overhead_bytes=10),
    Tech("bt", "Bluetooth classic BR/EDR (HC-05 SPP)", band="2g4", channels=(0, 78),
         channel_hz=_mhz(2441.0, 0.0), bandwidth_hz=1e6, bitrate_bps=1e6, tx_power_dbm=4.0,
         max_tx_power_dbm=4.0, sensitivity_dbm=-80.0, noise_figure_db=12.0, ref_loss_db=40.05, exponent=3.0,
         shadow_sigma_db=4.0, capture_db=11.0, per_width_db=1.0, ref_bytes=27, overhead_bytes=18,
         emission_hz=79e6),
    Tech("nbiot", "NB-IoT (LTE band 8, 180 kHz)", band="nb900", channels=(0, 0),
         channel_hz=lambda ch: 900e6, bandwidth_hz=180e3, bitrate_bps=25e3, tx_power_dbm=23.0,
         max_tx_power_dbm=43.0, sensitivity_dbm=-129.0, noise_figure_db=5.0, ref_loss_db=31.5, exponent=3.5,
         shadow_sigma_db=8.0, capture_db=6.0, per_width_db=2.0, ref_bytes=100, overhead_bytes=20,
         nominal_hz=900e6),
    Tech("nr5g", "5G NR (band n78, 100 MHz)", band="n78", channels=(0, 0),
         channel_hz=lambda ch: 3.5e9, bandwidth_hz=100e6, bitrate_bps=200e6, tx_power_dbm=23.0,
         max_tx_power_dbm=46.0, sensitivity_dbm=-90.0, noise_figure_db=7.0, ref_loss_db=43.3, exponent=3.0,
         shadow_sigma_db=6.0, capture_db=6.0, per_width_db=2.0, ref_bytes=1000, overhead_bytes=20,
         nominal_hz=3.5e9),
)}

def tech(name: str) -> Tech:
    try:
        return TECHS[name]
    except KeyError:
        raise ValueError(f"unknown radio technology {name!r}; known: {', '.join(TECHS)}") from None
