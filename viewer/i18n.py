"""The viewer's words in English and Chinese. A missing Chinese word falls back to English."""

from __future__ import annotations

import os

LANGS = ("en", "zh")

EN: dict[str, str] = {
    "pause": "Pause", "run": "Run", "step": "Step", "fit": "Fit", "paused": "paused", "running": "running",
    "finished": "finished", "speed": "speed", "max": "max", "t": "t",
    "events": "Events", "all_devices": "all devices", "all_kinds": "all kinds", "only": "only",
    "inspector": "Inspector", "overview": "Room", "legend": "Legend", "families": "Devices",
    "forms": "Wires", "wiring": "Wiring", "more": "more", "parameters": "Parameters", "readings": "Readings",
    "frames": "Recent frames", "faults": "Faults", "active_faults": "Active faults", "none": "none",
    "outputs": "Outputs", "pins": "Pins", "lcd": "Display", "backlight_off": "backlight off",
    "commands": "Commands", "ports": "Ports", "latest": "Latest records",
    "fault_menu": "Faults of", "inject": "Inject", "clear": "Clear", "required": "required",
    "port": "port", "on": "on", "off": "off", "offline": "offline", "send": "Send", "close": "Close",
    "no_selection": "Click a device to inspect it.", "keys": "Keys",
    "help": "Space pause · S step · 1-4 speed · F faults · E events of device · C serial console · "
            "wheel/+/- zoom · drag/arrows pan · 0 fit · Esc close",
    "lost": "lost", "switched_by": "switched by", "wired_to": "to", "type": "type", "family": "family",
    "position": "position", "label": "label", "replies": "replies", "edit": "click a value to edit it",
    "lagging": "lagging", "records": "records", "legend_lost": "frame lost (reason)",
    "legend_fault": "active fault", "legend_offline": "offline", "legend_frame": "frame in flight",
    "sensors": "sensor", "gateways": "gateway", "daq": "DAQ / IO module", "actuators": "actuator",
    "radio": "radio link",
    "console": "Console", "open_console": "Open console", "line_end": "line end",
    "console_hint": "click here and type · Enter sends the line + {eol} · Ctrl+Z, Esc go at once · "
                    "click outside to leave",
    "console_typing": "Enter sends the line + {eol} · Ctrl+Z, Esc go at once · ↑↓ history · click outside to leave",
    "no_uart": "has no UART", "run_ended": "the run has ended", "console_error": "console",
}

ZH: dict[str, str] = {
    "pause": "暂停", "run": "运行", "step": "单步", "fit": "适应窗口", "paused": "已暂停", "running": "运行中",
    "finished": "已结束", "speed": "速度", "max": "最快", "t": "时间",
    "events": "事件", "all_devices": "全部设备", "all_kinds": "全部类型", "only": "仅",
    "inspector": "设备详情", "overview": "实训室", "legend": "图例", "families": "设备",
    "forms": "连线", "wiring": "接线", "more": "更多", "parameters": "参数", "readings": "读数",
    "frames": "最近的帧", "faults": "故障", "active_faults": "当前故障", "none": "无",
    "outputs": "输出", "pins": "引脚", "lcd": "显示屏", "backlight_off": "背光关",
    "commands": "命令", "ports": "端口", "latest": "最新记录",
    "fault_menu": "故障注入:", "inject": "注入", "clear": "清除", "required": "必填",
    "port": "端口", "on": "开", "off": "关", "offline": "离线", "send": "发送", "close": "关闭",
    "no_selection": "点击设备查看详情。", "keys": "按键",
    "help": "空格 暂停 · S 单步 · 1-4 速度 · F 故障 · E 该设备事件 · C 串口终端 · 滚轮/+/- 缩放 · "
            "拖动/方向键 平移 · 0 适应窗口 · Esc 关闭",
    "lost": "丢失", "switched_by": "控制继电器", "wired_to": "接到", "type": "型号", "family": "类别",
    "position": "位置", "label": "名称", "replies": "应答", "edit": "点击数值可修改",
    "lagging": "跟不上", "records": "条记录", "legend_lost": "丢帧 (原因)",
    "legend_fault": "故障中", "legend_offline": "离线", "legend_frame": "传输中的帧",
    "sensors": "传感器", "gateways": "网关", "daq": "采集/IO 模块", "actuators": "执行器",
    "radio": "无线链路",
    "console": "串口终端", "open_console": "打开串口终端", "line_end": "行尾",
    "console_hint": "点击此处输入 · 回车发送该行 + {eol} · Ctrl+Z、Esc 立即发送 · 点击别处退出输入",
    "console_typing": "回车发送该行 + {eol} · Ctrl+Z、Esc 立即发送 · ↑↓ 历史 · 点击别处退出输入",
    "no_uart": "没有串口 (UART)", "run_ended": "运行已结束", "console_error": "串口终端",
    # signal forms
    "form.analog_v": "模拟电压 (0-5 V / 0-10 V)", "form.current_loop": "4-20 mA 电流环",
    "form.digital": "数字量 / 开关量", "form.pulse": "脉冲", "form.single_wire": "单总线 (DHT11/DHT22)",
    "form.onewire": "1-Wire (DS18B20)", "form.i2c": "I2C 总线", "form.rs485": "RS-485 总线",
    "form.uart": "UART 串口 (TTL)", "form.switched": "继电器触点供电", "form.ethernet": "以太网",
    "form.power": "电源",
}


def default_lang(environ: dict[str, str] | None = None) -> str:
    """zh when the user's locale is Chinese, else en."""
    env = os.environ if environ is None else environ
    for key in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(key, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


class Words:
    def __init__(self, lang: str = "en") -> None:
        self.lang = lang if lang in LANGS else "en"

    def __call__(self, key: str) -> str:
        if self.lang == "zh" and key in ZH:
            return ZH[key]
        return EN.get(key, key)

    def form(self, form: str) -> str:
        if self.lang == "zh" and f"form.{form}" in ZH:
            return ZH[f"form.{form}"]
        from sim.ports import FORMS
        return FORMS.get(form, form)

    def family(self, family: str) -> str:
        return self(family) if family in EN else family
