#!/usr/bin/env bash
# Installs the Debian packages the server and its tests need, skipping those
# already installed. Uses sudo when not root. Usage:
#   scripts/install-deps.sh           # to build and run the server
#   scripts/install-deps.sh --test    # also what the tests need (Chromium, Node, redis-server, nginx)
#   scripts/install-deps.sh --bench   # also what scripts/bench-webrtc.sh needs (Chromium, aiortc)
set -euo pipefail

packages=(
  pkg-config            # finds OpenCV and dlib for cgo
  libopencv-core-dev    # OpenCV 4.6's core and imgproc, through gocv
  libopencv-imgproc-dev #   (third_party/gocv: only these two are linked)
  libjpeg62-turbo-dev   # libjpeg-turbo: JPEG decoding and encoding (internal/cvjpeg)
  libvpx-dev            # libvpx: VP8 for WebRTC (pkg/vp8)
  ffmpeg                # ffprobe and ffmpeg: uploaded videos (pkg/video)
  libdlib-dev           # dlib 19.24: face detector and shape predictor
  libblas-dev           # dlib-1.pc links BLAS and LAPACK by their .so names
  liblapack-dev
  libdlib-data          # shape_predictor_68_face_landmarks.dat
)
if [[ "${1:-}" == "--bench" ]]; then
  # scripts/bench-webrtc.sh: aiortc's example server, run side by side
  packages+=(chromium python3-aiortc python3-aiohttp python3-opencv)
  # internal/loadgen's Python Socket.IO client (issue 25's closed-loop figures)
  packages+=(python3-socketio python3-websocket python3-requests)
fi
if [[ "${1:-}" == "--test" ]]; then
  packages+=(chromium)  # the browser end-to-end test
  # the scale-out tests (scripts/cluster.sh): a real Redis and a real nginx
  # in front of several nodes, all on loopback
  packages+=(redis-server nginx-light)
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "installing Debian packages: ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
