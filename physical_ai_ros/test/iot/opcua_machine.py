# Copyright 2026 physical_ai_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""A machine on OPC UA for the tests: an asyncua server with a press's variables.

Run as ``python opcua_machine.py PORT [--cert C --key K --user NAME:PASSWORD]``; it prints
``ready`` once serving. ``Press3.Pressure`` (bar) counts up by 0.01 every 20 ms from 1.00,
stamped by the press's clock (:data:`EPOCH` + 20 ms per update); ``Press3.Oil`` (degF)
reports Bad (BadSensorFailure) every second update, without a source timestamp. With a
certificate the server offers only Basic256Sha256 Sign and SignAndEncrypt; with a user, only
that user may open a session.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import sys

from asyncua import Server, ua
from asyncua.crypto.permission_rules import User, UserRole

NAMESPACE = 'urn:physical_ai_ros:test-machine'
#: The press stamps its k-th pressure at EPOCH + 20 ms * k (a device clock the test knows).
EPOCH = datetime.datetime(2026, 11, 30, 12, 0, 0, tzinfo=datetime.timezone.utc)


class OneUser:
    """Accepts one username and password, nobody else (anonymous included)."""

    def __init__(self, name: str, password: str) -> None:
        self.name, self.password = name, password

    def get_user(self, iserver, username=None, password=None, certificate=None):
        if username == self.name and password == self.password:
            return User(role=UserRole.User)
        return None


async def serve(args: argparse.Namespace) -> None:
    user_manager = OneUser(*args.user.split(':', 1)) if args.user else None
    server = Server(user_manager=user_manager)
    await server.init()
    server.set_endpoint(f'opc.tcp://127.0.0.1:{args.port}/machine')
    server.set_server_name('physical_ai_ros test machine')
    if args.cert:
        server.set_security_policy([
            ua.SecurityPolicyType.Basic256Sha256_Sign,
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ])  # fmt: skip
        await server.load_certificate(args.cert)
        await server.load_private_key(args.key)
    if args.user:
        server.set_security_IDs(['Username'])
    ns = await server.register_namespace(NAMESPACE)
    press = await server.nodes.objects.add_object(ua.NodeId('Press3', ns), 'Press3')
    pressure = await press.add_variable(ua.NodeId('Press3.Pressure', ns), 'Pressure', 1.0)
    oil = await press.add_variable(ua.NodeId('Press3.Oil', ns), 'Oil', 100.0)
    async with server:
        print('ready', flush=True)
        k = 0
        while True:
            k += 1
            await pressure.write_value(ua.DataValue(
                ua.Variant(1.0 + 0.01 * k, ua.VariantType.Double),
                SourceTimestamp=EPOCH + datetime.timedelta(milliseconds=20 * k),
            ))  # fmt: skip
            code = ua.StatusCodes.BadSensorFailure if k % 2 else ua.StatusCodes.Good
            await oil.write_value(ua.DataValue(
                ua.Variant(212.0, ua.VariantType.Double), StatusCode=ua.StatusCode(code)
            ))  # fmt: skip
            await asyncio.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('port', type=int)
    parser.add_argument('--cert', default='')
    parser.add_argument('--key', default='')
    parser.add_argument('--user', default='')
    try:
        asyncio.run(serve(parser.parse_args()))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == '__main__':
    main()
