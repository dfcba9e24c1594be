"""Radio physics against hand-worked and published values."""

import math

import numpy as np
import pytest

from sim import radio_physics as rp
from sim.radio_tech import TECHS


# -- free space and log-distance ---------------------------------------------------------------------
def test_friis_at_one_metre():
    assert rp.friis_loss_db(1.0, 2.4e9) == pytest.approx(40.05, abs=0.01)
    assert rp.friis_loss_db(1.0, 868e6) == pytest.approx(31.22, abs=0.01)
    assert rp.friis_loss_db(1.0, 433e6) == pytest.approx(25.18, abs=0.01)


def test_friis_grows_6_db_per_doubling():
    d = np.array([1.0, 2.0, 4.0, 8.0])
    assert np.diff(rp.friis_loss_db(d, 2.4e9)) == pytest.approx([6.0206] * 3, abs=1e-4)


def test_log_distance_matches_ns3_lorawan_model():
    # ns-3 lorawan examples: 7.7 dB at 1 m, exponent 3.76. At 1 km: 7.7 + 37.6 * 3 = 120.5 dB.
    assert rp.log_distance_loss_db(1000.0, 7.7, 3.76) == pytest.approx(120.5)
    assert rp.log_distance_loss_db(10.0, 40.05, 3.0) == pytest.approx(70.05)
    # Friis is log-distance with exponent 2 from its 1 m value
    assert rp.log_distance_loss_db(37.0, 40.05, 2.0) == pytest.approx(float(rp.friis_loss_db(37.0, 2.4e9)), abs=0.01)


# -- noise --------------------------------------------------------------------------------------------
def test_thermal_noise():
    assert rp.thermal_noise_dbm(1.0) == pytest.approx(-174.0)
    assert rp.thermal_noise_dbm(125e3) == pytest.approx(-123.03, abs=0.01)
    assert rp.thermal_noise_dbm(2e6, 10.0) == pytest.approx(-100.99, abs=0.01)


def test_power_sum():
    assert rp.dbm_sum(-90.0, -90.0) == pytest.approx(-86.99, abs=0.01)
    assert rp.dbm_sum(-60.0, -100.0) == pytest.approx(-60.0, abs=0.001)


# -- LoRa airtime (Semtech AN1200.13) -------------------------------------------------------------------
@pytest.mark.parametrize("payload, sf, bw, expected_ms", [
    (20, 7, 125e3, 56.576),      # 12.25 + 43 symbols of 1.024 ms
    (20, 12, 125e3, 1318.912),   # low data rate optimisation on: 12.25 + 28 symbols of 32.768 ms
    (10, 10, 125e3, 288.768),    # 12.25 + 23 symbols of 8.192 ms
    (51, 9, 125e3, 328.704),     # 12.25 + 68 symbols of 4.096 ms
    (13, 7, 125e3, 46.336),      # an empty LoRaWAN uplink (13-byte MAC overhead)
    (20, 7, 250e3, 28.288),
    (255, 12, 125e3, 9019.392),  # the longest SF12 packet: 12.25 + 8 + 51*5 symbols
])
def test_lora_airtime(payload, sf, bw, expected_ms):
    assert rp.lora_airtime_s(payload, sf, bw) * 1000 == pytest.approx(expected_ms, abs=1e-3)


def test_lora_airtime_options():
    base = rp.lora_airtime_s(20, 7)
    # implicit header saves 20 bits: here exactly one 5-symbol block
    assert (base - rp.lora_airtime_s(20, 7, explicit_header=False)) * 1000 == pytest.approx(5 * 1.024)
    # coding rate 4/8 instead of 4/5: 7 blocks of 8 instead of 5 symbols
    assert (rp.lora_airtime_s(20, 7, coding_rate=4) - base) * 1000 == pytest.approx(7 * 3 * 1.024)
    # two more preamble symbols
    assert (rp.lora_airtime_s(20, 7, preamble_symbols=10) - base) * 1000 == pytest.approx(2 * 1.024)


def test_lora_airtime_vectorised():
    sf = np.arange(7, 13)
    out = rp.lora_airtime_s(20, sf)
    assert out.shape == (6,)
    assert np.all(np.diff(out) > 0)
    assert out[0] == pytest.approx(rp.lora_airtime_s(20, 7))


def test_lora_sensitivity_table():
    expected = {7: -124, 8: -127, 9: -130, 10: -133, 11: -135, 12: -137}
    for sf, dbm in expected.items():
        assert rp.lora_sensitivity_dbm(sf) == pytest.approx(dbm)
    assert rp.lora_sensitivity_dbm(7, 250e3) == pytest.approx(-124 + 3.01, abs=0.01)
    assert rp.lora_sensitivity_dbm(np.array([7, 12])).tolist() == [-124.0, -137.0]


def test_lora_bitrate():
    assert rp.lora_bitrate_bps(7) == pytest.approx(5468.75)
    assert rp.lora_bitrate_bps(12) == pytest.approx(292.97, abs=0.01)


def test_goursaud_matrix():
    assert rp.lora_sir_threshold_db(7, 7) == 6
    assert rp.lora_sir_threshold_db(7, 8) == -16
    assert rp.lora_sir_threshold_db(12, 7) == -36
    assert rp.lora_sir_threshold_db(9, 12) == -25
    assert np.all(np.diag(rp.LORA_SIR_DB) == 6)


def test_duty_cycle():
    assert rp.duty_cycle_off_s(0.056576, 0.01) == pytest.approx(0.056576 * 99)
    assert rp.duty_cycle_off_s(1.0, 0.1) == pytest.approx(9.0)


# -- IEEE 802.15.4 ------------------------------------------------------------------------------------------
def test_802154_frame_times():
    assert rp.ieee802154_frame_time_s(127) * 1000 == pytest.approx(4.256)
    assert rp.ieee802154_frame_time_s(5) * 1e6 == pytest.approx(352.0)      # an ACK: 11 bytes
    assert rp.IEEE802154_BACKOFF_S == pytest.approx(320e-6)
    assert rp.IEEE802154_TURNAROUND_S == pytest.approx(192e-6)
    assert TECHS["zigbee"].airtime_s(127) == pytest.approx(4.256e-3)


def test_802154_channels():
    assert rp.ieee802154_channel_hz(11) == 2405e6
    assert rp.ieee802154_channel_hz(26) == 2480e6


# -- walls, shadowing, spectra -----------------------------------------------------------------------------
def test_walls_crossed():
    a = np.array([[0, 0], [0, 0], [0, 0], [5, 5]])
    b = np.array([[10, 0], [4, 0], [10, 10], [5, 9]])
    wall_from, wall_to = np.array([[5, -5], [0, 8]]), np.array([[5, 5], [10, 8]])
    crossed = rp.walls_crossed(a, b, wall_from, wall_to)
    assert crossed.tolist() == [[True, False], [False, False], [False, True], [False, True]]


def test_wall_loss_by_frequency():
    assert rp.wall_loss_db("brick", 2.4e9) == pytest.approx(8.0)
    assert rp.wall_loss_db("brick", 900e6) == pytest.approx(5.0)
    assert 5.0 < rp.wall_loss_db("brick", 1.5e9) < 8.0
    assert rp.wall_loss_db("metal", 470e6) > rp.wall_loss_db("glass", 470e6)


def test_link_normals_are_standard_normal_and_symmetric():
    keys = np.array([rp.device_key(1, f"n{i}") for i in range(600)], dtype=np.uint64)
    z = rp.link_normals(keys[:, None], keys[None, :])
    assert np.allclose(z, z.T)
    upper = z[np.triu_indices(len(keys), 1)]
    assert abs(upper.mean()) < 0.01 and abs(upper.std() - 1.0) < 0.01
    assert rp.device_key(1, "a") != rp.device_key(2, "a")


def test_spectral_overlap():
    # a 22 MHz Wi-Fi channel 1 (2412 MHz) over ZigBee 11 (2405) and 15 (2425)
    assert rp.spectral_overlap(2412e6, 22e6, 2405e6, 2e6) == pytest.approx(2 / 22)
    assert rp.spectral_overlap(2412e6, 22e6, 2425e6, 2e6) == 0.0
    assert rp.spectral_overlap(2405e6, 2e6, 2412e6, 22e6) == 1.0


# -- PER ------------------------------------------------------------------------------------------------------
def test_per_curve():
    snr = np.linspace(-20, 10, 301)
    per = rp.per_logistic(snr, -5.0, 1.0)
    assert np.all(np.diff(per) <= 0)
    assert rp.per_logistic(-5.0, -5.0, 1.0) == pytest.approx(0.5)
    assert rp.per_logistic(0.0, -5.0, 1.0) < 0.01
    assert rp.per_logistic(-10.0, -5.0, 1.0) > 0.99


def test_per_longer_frames_fail_more():
    assert rp.per_for_length(0.5, 20, 20) == pytest.approx(0.5)
    assert rp.per_for_length(0.5, 40, 20) == pytest.approx(0.75)
    assert rp.per_for_length(0.1, 10, 20) == pytest.approx(1 - math.sqrt(0.9))


def test_tech_per_is_half_at_sensitivity():
    for name, tech in TECHS.items():
        noise = tech.noise_dbm()
        per = tech.per(tech.sensitivity_dbm - noise, tech.ref_bytes)
        assert per == pytest.approx(0.5), name
