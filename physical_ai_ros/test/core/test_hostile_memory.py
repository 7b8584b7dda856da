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

"""Peak memory for one hostile input of each class: <= 64 MB above the process's baseline.

Each input claims far more than it carries (an image header of 4 gigapixels, a cloud of two
billion points, JSON nested 30,000 deep, a YAML alias bomb). Each is decoded in a fresh
process, and the growth of its peak resident memory (``ru_maxrss``, C allocations included,
which tracemalloc would miss) is measured around the call: the refusal must come before the
allocation the input asks for. The PNG chunk bomb is in ``messages/test_image.py``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

#: The input classes: how to build one and what must refuse it (run by _SCRIPT).
CASES = {
    'jpeg claiming 65000x65000': (
        'from physical_ai_ros.core.messages.image import compressed_to_array\n'
        "jpeg = bytearray(cv2.imencode('.jpg', np.zeros((8, 8, 3), np.uint8))[1].tobytes())\n"
        'sof = jpeg.index(b"\\xff\\xc0")\n'
        'jpeg[sof + 5:sof + 9] = (65000).to_bytes(2, "big") * 2\n'
        "call = lambda: compressed_to_array(SimpleNamespace(format='jpeg', data=bytes(jpeg)))\n"
    ),
    'png claiming 60000x60000': (
        'from physical_ai_ros.core.messages.image import compressed_to_array\n'
        "png = bytearray(cv2.imencode('.png', np.zeros((4, 4), np.uint8))[1].tobytes())\n"
        'png[16:24] = (60000).to_bytes(4, "big") * 2\n'
        'png[29:33] = zlib.crc32(bytes(png[12:29])).to_bytes(4, "big")\n'
        "call = lambda: compressed_to_array(SimpleNamespace(format='png', data=bytes(png)))\n"
    ),
    'raw image claiming 4 gigapixels': (
        'from physical_ai_ros.core.messages.image import image_to_array\n'
        "msg = SimpleNamespace(width=65536, height=65536, encoding='rgb8', is_bigendian=0,\n"
        '                      step=65536 * 3, data=np.zeros(64, np.uint8))\n'
        'call = lambda: image_to_array(msg)\n'
    ),
    'cloud claiming two billion points': (
        'from physical_ai_ros.core.messages.pointcloud import cloud_to_array\n'
        'field = lambda n, o: SimpleNamespace(name=n, offset=o, datatype=7, count=1)\n'
        'n = 2**31 - 1\n'
        'msg = SimpleNamespace(height=1, width=n, point_step=12, row_step=12 * n,\n'
        "                      fields=[field('x', 0), field('y', 4), field('z', 8)],\n"
        '                      is_bigendian=False, is_dense=True, data=np.zeros(120, np.uint8))\n'
        'call = lambda: cloud_to_array(msg)\n'
    ),
    'json nested 30000 deep': (
        'from physical_ai_ros.core.messages.payloads import decode_payload, PayloadSpec\n'
        "payload = b'[' * 30000 + b']' * 30000\n"
        'call = lambda: decode_payload(payload, PayloadSpec(), 0)\n'
    ),
    'yaml alias bomb': (
        'from physical_ai_ros.core.params.config_check import check_params_text\n'
        "lines = ['a0: &a0 [' + ', '.join(['x'] * 10) + ']']\n"
        "lines += [f'a{k}: &a{k} [' + ', '.join([f'*a{k - 1}'] * 10) + ']' for k in range(1, 9)]\n"
        "text = '\\n'.join(lines) + '\\nsafety_node: {ros__parameters: {rate_hz: *a8}}\\n'\n"
        'def call():\n'
        '    problems = check_params_text(text)\n'
        '    assert problems, "accepted"\n'
        '    raise ValueError(problems[0].allowed)\n'
    ),
}

_SCRIPT = """
import resource, sys, zlib
from types import SimpleNamespace
import cv2, numpy as np
{setup}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    call()
    refusal = 'decoded'
except Exception as exc:
    refusal = f'{{type(exc).__name__}}: {{exc}}'
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
print(refusal.replace(chr(10), ' ')[:300])
"""


@pytest.mark.parametrize('case', sorted(CASES))
def test_a_hostile_input_is_refused_before_it_allocates(case: str) -> None:
    done = subprocess.run([sys.executable, '-c', _SCRIPT.format(setup=CASES[case])],
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    grown_kb, refusal = done.stdout.strip().splitlines()[-2:]
    # a typed error of our own (or a params problem), never a crash or a decode
    assert refusal.split(':')[0] in (
        'CompressedImageError',
        'ImageError',
        'PointCloudError',
        'PayloadError',
        'ValueError',
    ), refusal
    assert int(grown_kb) < 64 * 1024, f'{case}: peak grew {int(grown_kb) / 1024:.0f} MB'
