"""The project's device catalogue: scenario ``type:`` names to classes, loaded lazily."""

CATALOG = {
    "gateway": "devices.gateways:Gateway",
    "lm35": "devices.sensors_analog:LM35",
    "pt100_transmitter": "devices.sensors_analog:PT100Transmitter",
    "pir": "devices.sensors_switch:PIR",
    "dht22": "devices.sensors_digital:DHT22",
    "bh1750": "devices.sensors_digital:BH1750",
    "rs485_th": "devices.sensors_rs485:RS485TH",
}
