"""Setting up the MQTT side of ``iotlab run`` from its options."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..scenario.spec import ID_PATTERN


class LiveError(Exception):
    """An MQTT option that cannot work; the message says what to change."""


def start(args, sim, lab: str):
    """(bridge, broker) for this run, or (None, None) with --mqtt off. Raises LiveError."""
    from ..mqtt import broker as brokers
    from ..mqtt.bridge import MqttBridge
    from ..mqtt.config import parse_url

    if (args.mqtt or "").strip().lower() == "off":
        return None, None
    lab = args.lab_id or lab
    if not re.match(ID_PATTERN, lab):
        raise LiveError(f"--lab-id {lab!r} cannot be part of a topic; use a letter, then letters, digits, _ or -")
    for option in ("mqtt_ca", "mqtt_cert", "mqtt_key"):
        path = getattr(args, option)
        if path and not Path(path).is_file():
            raise LiveError(f"--{option.replace('_', '-')} {path}: no such file")
    if args.mqtt_outbox_max < 1000:
        raise LiveError("--mqtt-outbox-max must be at least 1000 messages")
    broker = None
    if args.mqtt:
        try:
            config = parse_url(args.mqtt, username=args.mqtt_user, ca_file=args.mqtt_ca, cert_file=args.mqtt_cert,
                               key_file=args.mqtt_key, qos=args.mqtt_qos)
        except ValueError as exc:
            raise LiveError(str(exc)) from None
        if (args.mqtt_ca or args.mqtt_cert) and not config.tls:
            raise LiveError("--mqtt-ca/--mqtt-cert need an mqtts:// URL")
        how = "the broker given with --mqtt"
    else:
        try:
            broker = brokers.choose()
        except RuntimeError as exc:
            raise LiveError(f"{exc}; give a broker with --mqtt URL, or --mqtt off") from None
        config = parse_url(f"mqtt://{broker.host}:{broker.port}", qos=args.mqtt_qos)
        how = broker.describe()
    if args.mqtt_key and not args.mqtt_cert:
        raise LiveError("--mqtt-key goes with --mqtt-cert (the client certificate)")
    if config.tls:
        import ssl
        from ..mqtt.config import tls_context
        try:
            tls_context(config)
        except (ssl.SSLError, OSError) as exc:
            raise LiveError(f"cannot use the TLS files (--mqtt-ca {config.ca_file or '-'}, --mqtt-cert "
                            f"{config.cert_file or '-'}): {getattr(exc, 'reason', None) or exc}; give PEM files, "
                            "and an unencrypted key") from None
    from dataclasses import replace
    config = replace(config, lab=lab, format=args.mqtt_format, outbox_max=args.mqtt_outbox_max)
    bridge = MqttBridge(sim, config)
    sim.trace.subscribe(bridge)
    if not args.quiet:
        topic = "v1/gateway/#" if config.format == "thingsboard" else f"iotlab/{lab}/#"
        print(f"MQTT: {config.url()} ({how}), lab {lab!r}, {config.format} format, QoS {config.qos}; watch it with\n"
              f"      mosquitto_sub -h {config.host} -p {config.port} -t '{topic}' -v", file=sys.stderr)
    bridge.start(connect_timeout_s=3.0)
    return bridge, broker


def stop(bridge, broker, quiet: bool = False) -> None:
    if bridge is not None:
        bridge.close()
        if not quiet:
            print(f"MQTT: {bridge.published} messages published to {bridge.config.url()}", file=sys.stderr)
    if broker is not None:
        broker.stop()
