#!/usr/bin/env bash
# Install the Debian packages the Python stack needs, only those that are missing.
#   python3-venv   venv for `make` (Debian splits it out of python3)
#   libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri
#                  OpenCV/open3d imports, and MuJoCo's offscreen rendering (EGL, Mesa llvmpipe)
#   libusb-1.0-0   open3d's import (librealsense support is linked in)
#   libgomp1       OpenMP runtime of open3d and onnxruntime
#   mosquitto      the MQTT broker the IoT bridge tests start on loopback
set -euo pipefail
packages=(python3-venv libgl1 libegl1 libegl-mesa0 libgl1-mesa-dri libusb-1.0-0 libgomp1 mosquitto)
missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
# python3-venv is only needed when the python3 in use cannot make a venv by itself.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
read -r -a missing <<<"${missing[*]}"
[ "${#missing[@]}" -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "install_sysdeps: please install: ${missing[*]}" >&2
  exit 0
fi
sudo=''
[ "$(id -u)" -eq 0 ] || sudo='sudo'
echo "install_sysdeps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
