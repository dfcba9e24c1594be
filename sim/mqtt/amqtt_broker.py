"""A private MQTT broker for a run when mosquitto is not installed: ``python -m sim.mqtt.amqtt_broker PORT``."""

from __future__ import annotations

import asyncio
import sys


async def serve(port: int) -> None:
    from amqtt.broker import Broker

    broker = Broker({
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    })
    await broker.start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
