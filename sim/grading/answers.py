"""Diagnosis answers: free text matched against the expected device and fault, with tolerance.

``th1``, ``TH1``, ``Ｔｈ１`` and ``温湿度传感器 th1`` all name device th1; a fault is named by
its catalogue name in any spelling (``power_loss``, ``power loss``, ``Power-Loss``), by
an English phrase or by the words a Chinese lab uses (``断电``, ``掉电``). An answer that
names two devices, or none, does not name the faulty one.
"""

from __future__ import annotations

import re
import unicodedata

#: Words that name each fault, besides its catalogue name (lower case, after NFKC).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "power_loss": ("no power", "unpowered", "power off", "power failure", "lost power", "断电", "掉电", "没电",
                   "无电", "停电", "没有供电", "电源断"),
    "brownout": ("brown out", "voltage dip", "undervoltage", "欠压", "电压跌落", "电压低"),
    "wire_break": ("broken wire", "wire broken", "open circuit", "cut wire", "disconnected", "断线", "线断",
                   "开路", "断路", "接线断"),
    "short": ("short circuit", "shorted", "短路"),
    "loose_contact": ("loose", "intermittent", "bad contact", "接触不良", "松动", "虚接"),
    "reversed_polarity": ("reversed", "polarity", "接反", "反接", "极性"),
    "ab_swapped": ("a/b swapped", "a and b swapped", "swapped", "crossed", "ab reversed", "a/b reversed",
                   "ab接反", "a/b接反", "ab 接反", "a/b 接反", "ab反接", "a/b反接"),
    "stuck": ("frozen", "stuck at", "not changing", "卡死", "不变", "冻结", "不更新"),
    "bias": ("offset", "constant error", "偏差", "偏移", "零点"),
    "drift": ("drifting", "drifts", "漂移", "零漂"),
    "noise": ("noisy", "jumps", "噪声", "干扰", "跳动", "波动"),
    "spikes": ("spike", "outliers", "尖峰", "毛刺", "突变"),
    "dead": ("no output", "broken sensor", "faulty sensor", "损坏", "无输出", "坏了"),
    "slow_response": ("slow", "lag", "sluggish", "响应慢", "迟缓", "滞后"),
    "baud_mismatch": ("baud", "baud rate", "parity", "wrong speed", "波特率", "校验位"),
    "address_conflict": ("duplicate address", "same address", "address clash", "地址冲突", "地址重复",
                         "重复地址"),
    "no_termination": ("termination", "terminator", "terminating resistor", "终端电阻", "匹配电阻"),
    "wrong_register_map": ("register map", "wrong registers", "寄存器"),
    "crash": ("hung", "frozen device", "死机", "卡住"),
    "reboot_loop": ("reboot", "restarting", "keeps restarting", "重启", "反复重启"),
    "clock_drift": ("clock", "time drift", "时钟"),
    "attenuation": ("attenuated", "weak signal", "signal too weak", "shielded", "antenna", "衰减", "信号弱",
                    "信号太弱", "屏蔽", "天线"),
    "interference": ("interfered", "interfering", "noise source", "microwave", "干扰", "同频干扰", "微波炉"),
    "jamming": ("jammed", "jammer", "阻塞", "压制干扰"),
    "key_changed": ("password changed", "wrong password", "wrong key", "new key", "密码", "密钥"),
    "wan_down": ("no internet", "uplink down", "wan", "外网", "上行"),
    "dns_failure": ("dns", "域名解析", "域名"),
    "gateway_down": ("gateway down", "backhaul", "网关掉线", "回传"),
    "battery_depletion": ("battery", "flat battery", "battery empty", "电池", "没电了", "电量"),
}


#: Faults that are one mistake on different wires: naming either is right.
SAME_MISTAKE = {"ab_swapped": ("reversed_polarity",), "reversed_polarity": ("ab_swapped",)}


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become ASCII), lower case, one space between words."""
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return re.sub(r"\s+", " ", text).strip()


def _ascii_word(word: str) -> re.Pattern:
    """``word`` standing alone: not inside a longer ASCII name (Chinese may touch it)."""
    return re.compile(r"(?<![a-z0-9_-])" + re.escape(word) + r"(?![a-z0-9_-])")


def devices_named(text: str, device_ids: list[str]) -> list[str]:
    t = normalise(text)
    return [d for d in device_ids if _ascii_word(d.lower()).search(t)]


def faults_named(text: str, faults: list[str]) -> list[str]:
    """The faults ``text`` names; where one fault's words sit inside another's (``drift`` in
    ``clock drift``, ``接反`` in ``AB接反``), only the longer counts."""
    t = normalise(text)
    spans = []
    for name in faults:
        spellings = {name, name.replace("_", " "), name.replace("_", "-"), name.replace("_", "")}
        for word in list(spellings) + list(SYNONYMS.get(name, ())):
            pattern = _ascii_word(word) if word.isascii() else re.compile(re.escape(word))
            spans += [(m.start(), m.end(), name) for m in pattern.finditer(t)]
    kept = [(a, b, n) for a, b, n in spans
            if not any(a2 <= a and b <= b2 and (b2 - a2) > (b - a) and n2 != n for a2, b2, n2 in spans)]
    return list(dict.fromkeys(n for _, _, n in sorted(kept)))


def judge(text: str, expected: dict, device_ids: list[str], fault_names: list[str]) -> tuple[float, str]:
    """(fraction of the marks, why) for an answer against ``expected`` ({device, fault}, either or both)."""
    parts, got, reasons = 0, 0, []
    if expected.get("device"):
        parts += 1
        named = devices_named(text, device_ids)
        want = expected["device"]
        if named == [want]:
            got += 1
            reasons.append(f"device {want} right")
        elif want in named:
            reasons.append(f"names {', '.join(named)}: name only the faulty device")
        elif named:
            reasons.append(f"names {', '.join(named)}, not the faulty device")
        else:
            reasons.append("names no device of this lab")
    if expected.get("fault"):
        parts += 1
        want = expected["fault"]
        named = faults_named(text, fault_names)
        if len(named) == 1 and named[0] in SAME_MISTAKE.get(want, ()):
            named = [want]                      # "接反" on an RS-485 pair means A/B swapped
        if named == [want]:
            got += 1
            reasons.append(f"fault {want} right")
        elif want in named:
            reasons.append(f"names {', '.join(named)}: name only the fault")
        elif named:
            reasons.append(f"names {', '.join(named)}, not the fault")
        else:
            reasons.append("does not say what the fault is")
    return (got / parts if parts else 0.0), "; ".join(reasons)
