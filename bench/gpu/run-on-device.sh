#!/usr/bin/env bash
# Runs on the GPU machine (no Node, no internet, PyTorch installed), through the device tool:
#   run(command: "bash bench/gpu/run-on-device.sh", carry: [".gpu-bundle"], timeout_s: 600)
# It unpacks .gpu-bundle/ferry-gpu.tar.xz (made by bench/gpu/pack.sh), then:
#   1. nvidia-smi                                   -> $OUT/nvidia-smi.txt
#   2. finds or writes an NVIDIA Vulkan ICD file, asks Dawn (bundled Node) for an adapter
#                                                   -> $OUT/adapter.json
#   3. ferry train --mode finetune and --mode freeze --backend webgpu on ants/bees
#                                                   -> $OUT/ferry-<mode>.jsonl
#   4. the PyTorch peer (bench/peer-pytorch/train.py --device cuda) in modes finetune and fixed,
#      same backbone weights, same data          -> $OUT/pytorch-<mode>.json
#   5. a summary with images/s and the ratios the issue targets -> $OUT/summary.json (+ stdout)
# Options: --data DIR (folder with train/ and val/; default: the bundle's ants/bees)
#          --epochs N (Ferry and peer, default 5)   --batch-size N (both, default 16: Ferry's)
#          --modes "finetune freeze"   --skip-peer   --skip-ferry
# Env: OUT (default bench/out/gpu), FERRY_GPU_DIR (unpack dir, default /tmp/ferry-gpu-run),
#      FERRY_DAWN_FLAGS (passed to Dawn, e.g. backend=vulkan), PYTHON (default python3),
#      FERRY_CPU_FINETUNE_IPS (CPU baseline images/s for the 10x target in the summary).
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${OUT:-$ROOT/bench/out/gpu}
DEST=${FERRY_GPU_DIR:-/tmp/ferry-gpu-run}
PYTHON=${PYTHON:-python3}
ARCHIVE=$ROOT/.gpu-bundle/ferry-gpu.tar.xz
DATA=
EPOCHS=5
BATCH=16
MODES="finetune freeze"
PEER=1
FERRY=1
while [ $# -gt 0 ]; do
  case $1 in
    --data) DATA=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --batch-size) BATCH=$2; shift 2 ;;
    --modes) MODES=$2; shift 2 ;;
    --skip-peer) PEER=0; shift ;;
    --skip-ferry) FERRY=0; shift ;;
    -h|--help) sed -n 2,19p "$0"; exit 0 ;;
    *) echo "run-on-device: unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$OUT"
log() { echo "run-on-device: $*" | tee -a "$OUT/steps.log" >&2; }

# 0. Unpack (xz, or Python's lzma where xz is missing).
if [ ! -x "$DEST/ferry-gpu/ferry" ]; then
  [ -f "$ARCHIVE" ] || { log "no $ARCHIVE: run bench/gpu/pack.sh and carry .gpu-bundle"; exit 1; }
  mkdir -p "$DEST"
  if command -v xz >/dev/null; then
    xz -dc "$ARCHIVE" | tar -xf - -C "$DEST"
  else
    "$PYTHON" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' "$ARCHIVE" "$DEST"
  fi
fi
B=$DEST/ferry-gpu
cp "$B/MANIFEST" "$OUT/bundle-manifest.txt"
DATA=${DATA:-$B/data/hymenoptera_data}
[ -d "$DATA/train" ] || { log "no $DATA/train: pass --data DIR (train/ and val/ inside)"; exit 1; }
BACKBONE=$B/models/mobilenet_v2_0.35_224

# 1. The GPU.
nvidia-smi >"$OUT/nvidia-smi.txt" 2>&1 || log "nvidia-smi failed (see nvidia-smi.txt)"
GPU=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
log "GPU: ${GPU:-none}"

# 2. Vulkan: the bundle brings the loader (lib/libvulkan.so.1, put first on LD_LIBRARY_PATH by
# ./ferry); the driver's ICD file must come from the machine. Compute-only containers often lack
# the JSON even when the driver's Vulkan library (libGLX_nvidia.so.0) is mounted: then write one.
find_icd() {
  for f in "${VK_DRIVER_FILES:-}" "${VK_ICD_FILENAMES:-}" /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    [ -n "$f" ] && [ -f "$f" ] && { echo "$f"; return; }
  done
  local lib
  lib=$( (ldconfig -p 2>/dev/null | awk '/libGLX_nvidia\.so\.0/ {print $NF; exit}') ||
    true)
  [ -z "$lib" ] && lib=$(find /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64 -maxdepth 2 -name 'libGLX_nvidia.so.0' 2>/dev/null | head -1)
  if [ -n "$lib" ]; then
    local api
    api=$(nvidia-smi -q 2>/dev/null | awk -F': ' '/Vulkan/ {print $2; exit}')
    cat >"$DEST/nvidia_icd.json" <<EOF
{ "file_format_version": "1.0.0", "ICD": { "library_path": "$lib", "api_version": "${api:-1.3.0}" } }
EOF
    echo "$DEST/nvidia_icd.json"
  fi
}
ICD=$(find_icd)
if [ -n "$ICD" ]; then
  export VK_DRIVER_FILES=$ICD VK_ICD_FILENAMES=$ICD
  log "Vulkan ICD: $ICD ($(tr -d '\n' <"$ICD" | head -c 200))"
else
  log "no NVIDIA Vulkan ICD and no libGLX_nvidia.so.0 found: Dawn will find no adapter"
fi
export LD_LIBRARY_PATH="$B/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
"$B/bin/node" --input-type=module -e "
const { create, globals } = await import('$B/app/node_modules/webgpu/index.js');
const gpu = create((process.env.FERRY_DAWN_FLAGS ?? '').split(',').filter(Boolean));
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const out = adapter
  ? { adapter: true, info: { ...['vendor','architecture','device','description'].reduce((o,k)=>({...o,[k]:adapter.info?.[k]}),{}) },
      limits: { maxBufferSize: adapter.limits.maxBufferSize, maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
                maxComputeWorkgroupSizeX: adapter.limits.maxComputeWorkgroupSizeX } }
  : { adapter: false };
console.log(JSON.stringify(out));
process.exit(0);
" >"$OUT/adapter.json" 2>"$OUT/adapter.stderr" || log "adapter check crashed (see adapter.stderr)"
log "adapter: $(cat "$OUT/adapter.json" 2>/dev/null)"

# 3. Ferry on the GPU. A fresh cache dir per run; timeout so one hung run leaves time for the rest.
# finetune without the warm start: like the peer's fine-tune-all, every epoch trains every layer.
if [ "$FERRY" = 1 ]; then
  for mode in $MODES; do
    log "ferry train --mode $mode --backend webgpu --epochs $EPOCHS --batch-size $BATCH"
    start=$(date +%s)
    FERRY_MODELS_DIR=$B/models FERRY_CACHE_DIR=$DEST/cache-$mode timeout 240 "$B/ferry" train \
      --data "$DATA" --out "$DEST/run-$mode" --mode "$mode" --epochs "$EPOCHS" --batch-size "$BATCH" \
      --backend webgpu --no-export $([ "$mode" = finetune ] && echo --no-warm-start) --json \
      >"$OUT/ferry-$mode.jsonl" 2>"$OUT/ferry-$mode.stderr"
    log "ferry $mode: exit $? in $(($(date +%s) - start)) s; $(grep -m1 '"type":"start"' "$OUT/ferry-$mode.jsonl" | head -c 300)"
  done
fi

# 4. The PyTorch peer on the same GPU, weights and data (its "fixed" is Ferry's "freeze").
if [ "$PEER" = 1 ]; then
  for mode in $MODES; do
    peer_mode=$mode
    [ "$mode" = freeze ] && peer_mode=fixed
    log "pytorch peer --mode $peer_mode --device cuda --epochs $EPOCHS --batch-size $BATCH"
    (cd "$ROOT/bench/peer-pytorch" && timeout 240 "$PYTHON" train.py --data "$DATA" --backbone "$BACKBONE" \
      --mode "$peer_mode" --device cuda --epochs "$EPOCHS" --batch-size "$BATCH" --workers 8) \
      >"$OUT/pytorch-$mode.json" 2>"$OUT/pytorch-$mode.stderr"
    log "pytorch $peer_mode: exit $?"
  done
fi

# 5. Summary.
# FERRY_CPU_FINETUNE_IPS (the 2-core wasm finetune images/s from bench/REPORT.md) adds the 10x check.
"$PYTHON" "$ROOT/bench/gpu/summarize.py" "$OUT" "$GPU" ${FERRY_CPU_FINETUNE_IPS:+--cpu-finetune-ips "$FERRY_CPU_FINETUNE_IPS"} |
  tee "$OUT/summary.json"
