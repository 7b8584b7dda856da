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

"""Certificates for TLS tests, made in the test: a CA, a server, a client and a stranger CA."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import Any


def make_certificates(tmp: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost, a client one, and a stranger CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def issue(subject: str, issuer: Any, issuer_key: Any, *, ca: bool, san: bool) -> Any:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(name(subject))
            .issuer_name(issuer or name(subject))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName('localhost'), x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]
                ),
                critical=False,
            )
        cert = builder.sign(issuer_key or key, hashes.SHA256())
        return key, cert

    files: dict[str, Path] = {}

    def write(stem: str, key: Any, cert: Any) -> None:
        files[f'{stem}.key'] = tmp / f'{stem}.key'
        files[f'{stem}.key'].write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))  # fmt: skip
        files[f'{stem}.pem'] = tmp / f'{stem}.pem'
        files[f'{stem}.pem'].write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    ca_key, ca_cert = issue('factory CA', None, None, ca=True, san=False)
    write('ca', ca_key, ca_cert)
    write('server', *issue('inference', ca_cert.subject, ca_key, ca=False, san=True))
    write('client', *issue('robot-7', ca_cert.subject, ca_key, ca=False, san=False))
    other_key, other_cert = issue('another CA', None, None, ca=True, san=False)
    write('other', other_key, other_cert)
    return files
