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


"""Model commands: ``model inspect``, ``model make-reference`` and ``serve`` (Open Inference)."""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
from typing import TYPE_CHECKING

from physical_ai_ros.cli.arguments import needs
from physical_ai_ros.core.errors import PhysicalAiError

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``model inspect``, ``model make-reference`` and ``serve``."""
    model = commands.add_parser('model', help='inspect and check ONNX policies')
    model_commands = model.add_subparsers(dest='model_command', metavar='ACTION', required=True)
    inspect = model_commands.add_parser(
        'inspect',
        help="print a model's inputs/outputs and its contract, and check that they fit",
        description='Load a model as the policy node would, print its tensors and contract, '
        'and fail (exit 2) with the reason when they do not fit.',
    )
    inspect.add_argument('model', help='ONNX file')
    inspect.add_argument(
        '--contract', help='contract YAML (default: embedded, or MODEL.contract.yaml)'
    )
    inspect.add_argument('--providers', default='cpu', help='comma-separated, e.g. cuda,cpu')
    inspect.add_argument('--sha256', default='', help='refuse the model unless it has this sha256')
    inspect.set_defaults(handler=_inspect)
    reference = model_commands.add_parser(
        'make-reference', help='write the reference reactive policy (ONNX, contract embedded)'
    )
    reference.add_argument('out', help='ONNX file to write')
    reference.set_defaults(handler=_make_reference)

    serve = commands.add_parser(
        'serve', help='serve an ONNX policy over the Open Inference Protocol (gRPC)'
    )
    serve.add_argument('model', help='ONNX model (float32 tensors)')
    serve.add_argument('--name', default='policy', help='model name in requests')
    serve.add_argument('--host', default='127.0.0.1', help='address to listen on')
    serve.add_argument('--port', type=int, default=8001, help='gRPC port (0: any free one)')
    serve.add_argument(
        '--rest-port',
        type=int,
        default=None,
        help="also serve the protocol's REST binding on this port (0: any free one); "
        'default: gRPC only',
    )
    serve.add_argument('--tls-cert', help='server certificate (PEM): serve TLS')
    serve.add_argument('--tls-key', help='private key of the server certificate (PEM)')
    serve.add_argument('--client-ca', help='CA of client certificates (PEM): mutual TLS')
    serve.add_argument('--token-env', help='environment variable with a bearer token to require')
    serve.add_argument(
        '--insecure',
        action='store_true',
        help='allow plaintext on an address other than loopback (anyone on the network can '
        'read the requests and the token)',
    )
    serve.set_defaults(handler=_serve, stop_note='the server closed its connections and exited')
    needs(serve, 'grpc')


def _inspect(args: argparse.Namespace) -> int:
    """Print a model's tensors and contract, and check that they fit."""
    from physical_ai_ros.core.policy.runtime import PolicyModel

    model = PolicyModel.load(
        args.model,
        contract_path=args.contract,
        providers=args.providers.split(','),
        expected_sha256=args.sha256,
    )
    session = model.session
    print(f'model:     {model.path}')
    print(f'sha256:    {model.sha256}')
    print(f'providers: {", ".join(model.providers)}')
    for warning in model.warnings:
        print(f'warning:   {warning}')
    print('inputs:')
    for arg in session.get_inputs():
        print(f'  {arg.name:<16} {arg.type:<16} {list(arg.shape)}')
    print('outputs:')
    for arg in session.get_outputs():
        print(f'  {arg.name:<16} {arg.type:<16} {list(arg.shape)}')
    contract = model.contract
    print(f'contract:  {contract.name}')
    for spec in contract.inputs:
        print(
            f'  {spec.tensor:<16} <- {spec.source:<16} {list(spec.names)}  '
            f'shape {list(spec.shape)}'
        )
    out = contract.output
    print(f'  {out.tensor:<16} -> {out.command:<16} {list(out.fields)}')
    print('check:     contract fits the model; warm-up run passed')
    return 0


def _make_reference(args: argparse.Namespace) -> int:
    """Write the shipped reference policy (contract embedded) to a file."""
    import shutil

    from physical_ai_ros.core.policy.runtime import sha256_of
    from physical_ai_ros.policies.reference import SHIPPED

    path = Path(args.out)
    if path.parent and not path.parent.is_dir():
        raise PhysicalAiError(f'{path}: folder {path.parent} does not exist')
    shutil.copyfile(SHIPPED, path)
    print(f'wrote {path} (sha256 {sha256_of(path.read_bytes())})')
    return 0


def _serve(args: argparse.Namespace) -> int:
    """Serve an ONNX policy over the Open Inference Protocol until SIGINT or SIGTERM."""
    from physical_ai_ros.inference.rest import start_rest_server
    from physical_ai_ros.inference.server import load_service, start_server
    from physical_ai_ros.inference.tls import read_token, TlsFiles

    if bool(args.tls_cert) != bool(args.tls_key):
        raise PhysicalAiError('--tls-cert and --tls-key go together')
    if args.client_ca and not args.tls_cert:
        raise PhysicalAiError('--client-ca (mutual TLS) needs --tls-cert and --tls-key')
    loopback = args.host in ('127.0.0.1', '::1', 'localhost') or args.host.startswith('127.')
    if not loopback and not args.tls_cert and not args.insecure:
        raise PhysicalAiError(
            f'--host {args.host} without TLS: the network would see every request (and the '
            'token) in clear; give --tls-cert and --tls-key, or --insecure to accept that'
        )
    if not loopback and not args.tls_cert:
        print(
            f'physical-ai serve: warning: plaintext on {args.host} (--insecure)', file=sys.stderr
        )
    tls = TlsFiles(args.client_ca or '', args.tls_cert or '', args.tls_key or '')
    token = read_token(args.token_env or '', '')
    service = load_service(args.model, name=args.name, token=token)
    server, port = start_server(
        args.model,
        host=args.host,
        port=args.port,
        tls=tls if args.tls_cert else None,
        require_client_cert=bool(args.client_ca),
        service=service,
    )
    rest = None
    try:
        where = f'{args.host}:{port} (gRPC)'
        if args.rest_port is not None:
            rest, rest_port = start_rest_server(
                service,
                host=args.host,
                port=args.rest_port,
                tls=tls if args.tls_cert else None,
                require_client_cert=bool(args.client_ca),
            )
            where += f', {args.host}:{rest_port} (REST)'
        mode = 'mutual TLS' if args.client_ca else 'TLS' if args.tls_cert else 'plaintext'
        print(f'serving {args.model} as {args.name!r} on {where} ({mode})', flush=True)
        server.wait_for_termination()
    finally:
        if rest is not None:
            rest.shutdown()
        server.stop(grace=1.0)
    return 0
