"""How to reach the broker: ``--mqtt URL`` and friends, parsed once, printed without secrets."""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, unquote, urlsplit

PASSWORD_ENV = "IOTLAB_MQTT_PASSWORD"


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    client_id: str = ""
    qos: int = 1
    keepalive: int = 30
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    lab: str = "lab"
    format: str = "native"
    outbox_path: str | None = None       # None: a temporary file for the run
    outbox_max: int = 1_000_000          # messages kept while the broker is away

    def url(self) -> str:
        """The broker URL with the password hidden, for messages."""
        user = f"{self.username}:***@" if self.username and self.password else \
               f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def with_lab(self, lab: str) -> "MqttConfig":
        return replace(self, lab=lab)


def masked(url: str) -> str:
    """The URL with any password replaced by ***, for messages."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def tls_context(config: MqttConfig) -> ssl.SSLContext:
    """The TLS context for an mqtts:// config; ssl.SSLError or OSError if the files do not work."""
    context = ssl.create_default_context(cafile=config.ca_file)
    if config.cert_file:
        # An empty passphrase: an encrypted key is an error here, never a prompt in the middle of a run.
        context.load_cert_chain(config.cert_file, config.key_file, password=lambda: "")
    return context


def parse_url(url: str, **overrides) -> MqttConfig:
    """``mqtt[s]://[user[:password]@]host[:port][?client_id=..&qos=0|1&keepalive=s]``; ValueError says why not."""
    text = masked(url)
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"--mqtt {text!r}: the URL must start with mqtt:// or mqtts:// "
                         "(or be 'off'), e.g. mqtt://127.0.0.1:1883")
    if not parts.hostname:
        raise ValueError(f"--mqtt {text!r}: no host; e.g. mqtt://broker.lan:1883")
    tls = parts.scheme in ("mqtts", "ssl")
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise ValueError(f"--mqtt {text!r}: the port must be a number from 1 to 65535") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"client_id", "qos", "keepalive"}
    if unknown:
        raise ValueError(f"--mqtt: unknown option {sorted(unknown)[0]!r} in the URL; allowed: client_id, qos, keepalive")
    values = dict(host=parts.hostname, port=port, tls=tls,
                  username=unquote(parts.username) if parts.username else None,
                  password=unquote(parts.password) if parts.password else os.environ.get(PASSWORD_ENV),
                  client_id=query.get("client_id", ""))
    if "qos" in query:
        if query["qos"] not in ("0", "1"):
            raise ValueError(f"--mqtt: qos={query['qos']} is not supported; use qos=0 or qos=1")
        values["qos"] = int(query["qos"])
    if "keepalive" in query:
        if not query["keepalive"].isdigit() or not 5 <= int(query["keepalive"]) <= 3600:
            raise ValueError("--mqtt: keepalive must be a number of seconds from 5 to 3600")
        values["keepalive"] = int(query["keepalive"])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return MqttConfig(**values)
