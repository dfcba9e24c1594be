"""Radio physics as pure numpy functions: path loss, walls, shadowing, noise, PER, airtime.

Units are in the names (``distance_m``, ``loss_db``, ``power_dbm``, ``airtime_s``). Every
function takes scalars or arrays and broadcasts, so the medium computes a whole link table
(every transmitter against every receiver) in one call. Sources of the constants:

- free-space loss: Friis, ``20 log10(4 pi d f / c)``;
- log-distance loss: ``PL(d) = PL(d0) + 10 n log10(d / d0)``;
- LoRa airtime: Semtech AN1200.13 ("LoRa Modem Designer's Guide"), section 4;
- LoRa sensitivity at 125 kHz and the demodulation SNR floor per SF: SX1276 datasheet
  (SF7 -124 .. SF12 -137 dBm; -7.5 .. -20 dB);
- LoRa cross-SF isolation: Goursaud & Gorce 2015, as used by the ns-3 lorawan module;
- IEEE 802.15.4 2.4 GHz O-QPSK PHY: 250 kbit/s, 62.5 ksymbol/s, 4-byte preamble + SFD + PHR.
"""

from __future__ import annotations

import hashlib

import numpy as np

C_M_S = 299_792_458.0
BOLTZMANN_DBM_HZ = -174.0          # thermal noise density at 290 K, dBm/Hz
MIN_DISTANCE_M = 0.1               # two antennas are never closer than this


# -- power units ----------------------------------------------------------------------------------
def dbm_to_mw(power_dbm):
    return np.power(10.0, np.asarray(power_dbm, dtype=float) / 10.0)


def mw_to_dbm(power_mw):
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(np.asarray(power_mw, dtype=float))


def dbm_sum(*powers_dbm):
    """Power sum of signals given in dBm (noise plus interference)."""
    return mw_to_dbm(sum(dbm_to_mw(p) for p in powers_dbm))


# -- path loss --------------------------------------------------------------------------------------
def friis_loss_db(distance_m, freq_hz):
    """Free-space path loss: 40.05 dB at 1 m and 2.4 GHz, 31.2 dB at 1 m and 868 MHz."""
    d = np.maximum(np.asarray(distance_m, dtype=float), MIN_DISTANCE_M)
    return 20.0 * np.log10(4.0 * np.pi * d * np.asarray(freq_hz, dtype=float) / C_M_S)


def log_distance_loss_db(distance_m, ref_loss_db, exponent, ref_distance_m=1.0):
    """Log-distance path loss; below ``MIN_DISTANCE_M`` the loss stays at its value there."""
    d = np.maximum(np.asarray(distance_m, dtype=float), MIN_DISTANCE_M)
    return ref_loss_db + 10.0 * np.asarray(exponent, dtype=float) * np.log10(d / ref_distance_m)


def distances_m(a_xy, b_xy):
    """Distance between points ``a_xy[..., 2]`` and ``b_xy[..., 2]`` (broadcast)."""
    d = np.asarray(a_xy, dtype=float) - np.asarray(b_xy, dtype=float)
    return np.hypot(d[..., 0], d[..., 1])


#: Loss through one wall, dB, at about 900 MHz and at 2.4 GHz: typical values from indoor
#: measurement campaigns (NIST IR 6055, ITU-R P.2040 ranges). Between and beyond the two
#: frequencies the loss is interpolated linearly in log-frequency and held at the ends' slope.
WALL_LOSS_DB: dict[str, tuple[float, float]] = {
    "concrete": (9.0, 13.0),
    "brick": (5.0, 8.0),
    "drywall": (2.0, 3.0),
    "glass": (1.5, 2.5),
    "wood": (2.5, 4.0),
    "metal": (20.0, 26.0),
}
_WALL_F_HZ = (900e6, 2.4e9)


def wall_loss_db(material: str, freq_hz: float) -> float:
    low, high = WALL_LOSS_DB[material]
    x = (np.log10(freq_hz) - np.log10(_WALL_F_HZ[0])) / (np.log10(_WALL_F_HZ[1]) - np.log10(_WALL_F_HZ[0]))
    return float(max(0.0, low + (high - low) * x))


def walls_crossed(a_xy, b_xy, wall_from, wall_to):
    """Boolean matrix [links, walls]: does the segment a->b cross each wall segment?

    ``a_xy``, ``b_xy``: (L, 2) link ends; ``wall_from``, ``wall_to``: (W, 2) wall ends. Proper
    crossings only: a link that ends on a wall or runs along it does not count as crossing it.
    """
    a = np.asarray(a_xy, dtype=float)[:, None, :]
    b = np.asarray(b_xy, dtype=float)[:, None, :]
    p = np.asarray(wall_from, dtype=float)[None, :, :]
    q = np.asarray(wall_to, dtype=float)[None, :, :]

    def cross(o, u, v):
        return (u[..., 0] - o[..., 0]) * (v[..., 1] - o[..., 1]) - (u[..., 1] - o[..., 1]) * (v[..., 0] - o[..., 0])

    d1, d2 = cross(p, q, a), cross(p, q, b)
    d3, d4 = cross(a, b, p), cross(a, b, q)
    return (d1 * d2 < 0) & (d3 * d4 < 0)


# -- shadowing --------------------------------------------------------------------------------------
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def device_key(seed: int, device_id: str) -> int:
    """A 64-bit key for a device under a seed (SHA-256, so it does not depend on PYTHONHASHSEED)."""
    digest = hashlib.sha256(f"iotlab:{seed}:radio.shadowing:{device_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def _splitmix64(x):
    with np.errstate(over="ignore"):
        x = (x + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return x ^ (x >> np.uint64(31))


def link_normals(key_a, key_b):
    """One standard-normal draw per link, from the two ends' keys.

    Symmetric (the pair is ordered by key first) and a function of the two keys only, so a
    link's shadowing does not depend on which device was created first, on the order of the
    table, or on any other device. Two 53-bit uniforms from a splitmix64 hash of the pair,
    then Box-Muller.
    """
    ka = np.asarray(key_a, dtype=np.uint64)
    kb = np.asarray(key_b, dtype=np.uint64)
    lo, hi = np.minimum(ka, kb), np.maximum(ka, kb)
    with np.errstate(over="ignore"):
        h1 = _splitmix64(lo ^ _splitmix64(hi))
        h2 = _splitmix64(h1 ^ np.uint64(0xD1B54A32D192ED03))
    u1 = ((h1 >> np.uint64(11)).astype(float) + 0.5) / 2.0 ** 53
    u2 = (h2 >> np.uint64(11)).astype(float) / 2.0 ** 53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def rayleigh_fading_db(rng, size):
    """Fast fading power gain, dB, for a Rayleigh channel (exponential power, mean 0 dB linear)."""
    return 10.0 * np.log10(np.maximum(rng.exponential(1.0, size), 1e-12))


# -- noise, SNR, PER --------------------------------------------------------------------------------
def thermal_noise_dbm(bandwidth_hz, noise_figure_db=0.0):
    """kTB plus the receiver's noise figure: -121 dBm + NF in 200 kHz, -111 dBm + NF in 2 MHz."""
    return BOLTZMANN_DBM_HZ + 10.0 * np.log10(np.asarray(bandwidth_hz, dtype=float)) + noise_figure_db


def spectral_overlap(f1_hz, bw1_hz, f2_hz, bw2_hz):
    """Fraction of emission 1's power (flat over ``bw1``) that falls inside band 2."""
    lo = np.maximum(np.asarray(f1_hz) - np.asarray(bw1_hz) / 2.0, np.asarray(f2_hz) - np.asarray(bw2_hz) / 2.0)
    hi = np.minimum(np.asarray(f1_hz) + np.asarray(bw1_hz) / 2.0, np.asarray(f2_hz) + np.asarray(bw2_hz) / 2.0)
    return np.clip((hi - lo) / np.asarray(bw1_hz, dtype=float), 0.0, 1.0)


def per_logistic(snr_db, snr50_db, width_db):
    """Packet error rate against SNR: 50 % at ``snr50_db``, from ~90 % to ~10 % over 4.4 widths.

    A smooth stand-in for the waterfall curve of a real demodulator: monotonic, so PER
    rises steadily towards the edge of range instead of falling off a cliff.
    """
    x = (np.asarray(snr_db, dtype=float) - snr50_db) / width_db
    return 1.0 / (1.0 + np.exp(np.clip(x, -60.0, 60.0)))


def per_for_length(per_ref, n_bytes, ref_bytes):
    """PER of an ``n_bytes`` frame from the PER of a ``ref_bytes`` frame (independent bit errors)."""
    ok = np.clip(1.0 - np.asarray(per_ref, dtype=float), 0.0, 1.0)
    return 1.0 - ok ** (np.asarray(n_bytes, dtype=float) / ref_bytes)


# -- LoRa --------------------------------------------------------------------------------------------
LORA_SENSITIVITY_125K_DBM = {7: -124.0, 8: -127.0, 9: -130.0, 10: -133.0, 11: -135.0, 12: -137.0}
LORA_SNR_FLOOR_DB = {7: -7.5, 8: -10.0, 9: -12.5, 10: -15.0, 11: -17.5, 12: -20.0}
#: Signal-to-interference ratio a wanted packet (row: its SF, 7..12) needs to survive an
#: interferer (column: its SF), dB. The diagonal is the co-SF capture threshold.
LORA_SIR_DB = np.array([
    [6, -16, -18, -19, -19, -20],
    [-24, 6, -20, -22, -22, -22],
    [-27, -27, 6, -23, -25, -25],
    [-30, -30, -30, 6, -26, -28],
    [-33, -33, -33, -33, 6, -29],
    [-36, -36, -36, -36, -36, 6],
], dtype=float)


def lora_symbol_time_s(sf, bandwidth_hz=125e3):
    return np.power(2.0, np.asarray(sf, dtype=float)) / np.asarray(bandwidth_hz, dtype=float)


def lora_low_data_rate(sf, bandwidth_hz=125e3):
    """Low data rate optimisation is mandated when a symbol lasts 16 ms or more (SF11/SF12 at 125 kHz)."""
    return lora_symbol_time_s(sf, bandwidth_hz) >= 0.016


def lora_airtime_s(payload_bytes, sf, bandwidth_hz=125e3, coding_rate=1, preamble_symbols=8,
                   explicit_header=True, crc=True, low_data_rate=None):
    """Time on air of a LoRa packet (AN1200.13): preamble ``(n + 4.25) Ts`` plus
    ``8 + max(ceil((8 PL - 4 SF + 28 + 16 CRC - 20 IH) / (4 (SF - 2 DE))) (CR + 4), 0)`` symbols.

    ``coding_rate`` is 1..4 for 4/5..4/8. SF7, 125 kHz, 4/5, 8 symbols, explicit header,
    CRC on, 20 bytes: 56.576 ms.
    """
    sf = np.asarray(sf, dtype=float)
    pl = np.asarray(payload_bytes, dtype=float)
    de = lora_low_data_rate(sf, bandwidth_hz) if low_data_rate is None else np.asarray(low_data_rate)
    ih = 0.0 if explicit_header else 1.0
    ts = lora_symbol_time_s(sf, bandwidth_hz)
    num = 8.0 * pl - 4.0 * sf + 28.0 + 16.0 * float(crc) - 20.0 * ih
    den = 4.0 * (sf - 2.0 * de)
    n_payload = 8.0 + np.maximum(np.ceil(num / den) * (coding_rate + 4.0), 0.0)
    return (preamble_symbols + 4.25) * ts + n_payload * ts


def lora_sensitivity_dbm(sf, bandwidth_hz=125e3):
    """Receiver sensitivity: the SX1276 table at 125 kHz, 3 dB worse per doubling of bandwidth."""
    base = np.vectorize(LORA_SENSITIVITY_125K_DBM.__getitem__, otypes=[float])(np.asarray(sf, dtype=int))
    return base + 10.0 * np.log10(np.asarray(bandwidth_hz, dtype=float) / 125e3)


def lora_sir_threshold_db(sf_wanted, sf_interferer):
    """The SIR a packet at ``sf_wanted`` needs against one at ``sf_interferer`` (Goursaud matrix)."""
    return LORA_SIR_DB[np.asarray(sf_wanted, dtype=int) - 7, np.asarray(sf_interferer, dtype=int) - 7]


def lora_bitrate_bps(sf, bandwidth_hz=125e3, coding_rate=1):
    """Raw LoRa bit rate: SF * BW / 2^SF * 4 / (4 + CR). SF7/125 kHz/4/5: 5469 bit/s."""
    sf = np.asarray(sf, dtype=float)
    return sf * bandwidth_hz / np.power(2.0, sf) * 4.0 / (4.0 + coding_rate)


def duty_cycle_off_s(airtime_s, duty_cycle):
    """How long a transmitter must then stay silent: ``t_air / dc - t_air`` (1 %: 99 times the airtime)."""
    return np.asarray(airtime_s, dtype=float) / duty_cycle - np.asarray(airtime_s, dtype=float)


# -- IEEE 802.15.4 (ZigBee) ---------------------------------------------------------------------------
IEEE802154_BITRATE_BPS = 250_000
IEEE802154_SYMBOL_S = 16e-6                # 62.5 ksymbol/s, 4 bits a symbol
IEEE802154_SHR_PHR_BYTES = 6               # 4-byte preamble, SFD, PHR (frame length)
IEEE802154_MAX_PSDU_BYTES = 127
IEEE802154_TURNAROUND_S = 12 * IEEE802154_SYMBOL_S     # aTurnaroundTime, 192 us
IEEE802154_BACKOFF_S = 20 * IEEE802154_SYMBOL_S        # aUnitBackoffPeriod, 320 us
IEEE802154_CCA_S = 8 * IEEE802154_SYMBOL_S             # CCA detection time, 128 us


def ieee802154_frame_time_s(psdu_bytes):
    """On-air time of a PSDU with its SHR and PHR: 4 us a bit, so 127 bytes take 4.256 ms."""
    return (np.asarray(psdu_bytes, dtype=float) + IEEE802154_SHR_PHR_BYTES) * 8.0 / IEEE802154_BITRATE_BPS


def ieee802154_channel_hz(channel):
    """Centre frequency of 2.4 GHz channels 11..26: 2405 + 5 (k - 11) MHz."""
    return (2405.0 + 5.0 * (np.asarray(channel, dtype=float) - 11.0)) * 1e6
