#!/usr/bin/env bash
# Builds .gpu-bundle/ferry-gpu.tar.xz: everything `ferry train --backend webgpu` needs on a GPU
# machine that has no Node and no internet (the device tool's H100), in at most 64 MiB:
#   bin/node                 this machine's Node 20 (linux-x64), debug info stripped
#   app/                     the built workspace packages the CLI runs on (PACKAGES: @ferry/core,
#                            codec-jpeg, model, trainer) and a pruned node_modules holding
#                            only the files a traced training + export really opened, plus
#                            tfjs-backend-webgpu (loaded only once an adapter exists)
#   lib/libvulkan.so.1       the Vulkan loader Dawn dlopens (Debian 12's libvulkan1)
#   models/                  the MobileNetV2 0.35 backbone (tfjs LayersModel) for both trainers
#   data/hymenoptera_data/   ants/bees, JPEGs scaled to a shorter side of --data-short-side px
#   ferry                    wrapper: LD_LIBRARY_PATH=lib, bin/node app/.../cli.js "$@"
# Then it unpacks the archive into a temp dir and runs the bundled CLI there, away from the
# repo's node_modules: `train --help` and a 1-epoch finetune with --backend webgpu (which falls
# back to wasm on a machine without a GPU: that still proves every file is in the bundle).
#
# Usage: bench/gpu/pack.sh [--data-short-side N (default 256; 0 = no data)] [--skip-build]
# Env:   FERRY_DATA_DIR (default /work/shared/data), FERRY_MODELS_DIR (default /work/shared/pretrained)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT_DIR=$ROOT/.gpu-bundle
ARCHIVE=$OUT_DIR/ferry-gpu.tar.xz
LIMIT_MIB=64
SHORT_SIDE=256
BUILD=1
while [ $# -gt 0 ]; do
  case $1 in
    --data-short-side) SHORT_SIDE=$2; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n 2,20p "$0"; exit 0 ;;
    *) echo "pack.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
DATA_DIR=${FERRY_DATA_DIR:-/work/shared/data}
MODELS_DIR=${FERRY_MODELS_DIR:-/work/shared/pretrained}
BACKBONE=mobilenet_v2_0.35_224
NODE_BIN=$(command -v node)
# The workspace packages the CLI imports (the trainer's @ferry dependencies, and the trainer).
PACKAGES=(core codec-jpeg model trainer)
LIBVULKAN=$(readlink -f /usr/lib/x86_64-linux-gnu/libvulkan.so.1 || true)

say() { echo "pack: $*" >&2; }
die() { echo "pack: error: $*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "the device is x86-64; pack on an x86-64 machine"
"$NODE_BIN" -e 'process.exit(process.versions.node.split(".")[0] === "20" ? 0 : 1)' ||
  die "need Node 20 (found $("$NODE_BIN" --version))"
command -v strace >/dev/null || die "strace is needed to find the files training opens (apt-get install strace)"
[ -f "$LIBVULKAN" ] || die "libvulkan.so.1 not found in /usr/lib/x86_64-linux-gnu (apt-get install libvulkan1)"
[ -f "$MODELS_DIR/$BACKBONE/model.json" ] || die "backbone $MODELS_DIR/$BACKBONE missing (set FERRY_MODELS_DIR)"
if [ "$SHORT_SIDE" != 0 ]; then
  [ -d "$DATA_DIR/hymenoptera_data/train" ] || die "$DATA_DIR/hymenoptera_data missing (set FERRY_DATA_DIR)"
fi

WORK=$(mktemp -d /tmp/ferry-gpu-pack.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/ferry-gpu
mkdir -p "$STAGE"/{bin,app,lib,models,data}

if [ "$BUILD" = 1 ]; then
  for p in "${PACKAGES[@]}"; do
    say "building @ferry/$p"
    (cd "$ROOT/packages/$p" && npm run --silent build)
  done
fi
CLI=$ROOT/packages/trainer/dist/cli.js
[ -f "$CLI" ] || die "$CLI missing: build the trainer first"

# 1. Trace a real training + export so the bundle holds exactly the files Node opens.
say "tracing a 1-epoch finetune + freeze (webgpu requested) to list the runtime files"
"$NODE_BIN" "$ROOT/bench/gpu/prepare-data.mjs" synthetic "$WORK/syn" 4 >/dev/null
for mode in finetune freeze; do
  FERRY_MODELS_DIR=$MODELS_DIR FERRY_CACHE_DIR=$WORK/cache \
    strace -f -qq -e trace=openat,open,execve -o "$WORK/trace-$mode.txt" \
    "$NODE_BIN" "$CLI" train --data "$WORK/syn" --out "$WORK/run-$mode" --mode "$mode" --epochs 1 \
    --batch-size 4 --backend webgpu --json >"$WORK/trace-$mode.log" 2>&1 ||
    { tail -20 "$WORK/trace-$mode.log" >&2; die "traced training ($mode) failed"; }
  [ -f "$WORK/run-$mode/model.onnx" ] || die "traced training ($mode) wrote no model.onnx"
done
"$NODE_BIN" "$CLI" train --help >/dev/null

# Files under the repo that succeeded to open, realpath'd (workspace packages are symlinks).
cat "$WORK"/trace-*.txt |
  grep -v ' = -1 ' |
  sed -n 's/.*open[a-z]*([^"]*"\([^"]*\)".*/\1/p' |
  sort -u |
  while read -r f; do
    [ -f "$f" ] || continue
    r=$(readlink -f "$f")
    case $r in "$ROOT"/node_modules/*) echo "${r#"$ROOT"/}" ;; esac
    for p in "${PACKAGES[@]}"; do
      case $r in "$ROOT/packages/$p"/*) echo "${r#"$ROOT"/}" ;; esac
    done
  done | sort -u >"$WORK/files.txt"

# Loaded only when a WebGPU adapter exists (never on this machine), so the trace misses them.
EXTRA=(
  node_modules/@tensorflow/tfjs-backend-webgpu/package.json
  node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js
  node_modules/webgpu/package.json
  node_modules/webgpu/index.js
  node_modules/webgpu/dist/linux-x64/dawn.node
  node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm
  node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm
  node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm
)
printf '%s\n' "${EXTRA[@]}" >>"$WORK/files.txt"
# Each package's package.json and whole built output (lazily imported commands, report assets,
# codec-jpeg's committed wasm/), minus maps, types and tests.
for p in "${PACKAGES[@]}"; do
  echo "packages/$p/package.json" >>"$WORK/files.txt"
  (cd "$ROOT" && find "packages/$p/dist" $([ -d "packages/$p/wasm" ] && echo "packages/$p/wasm") -type f \
    ! -name '*.map' ! -name '*.d.ts' ! -name '*.tsbuildinfo' ! -path '*/test-support/*' ! -name '*.test.js') \
    >>"$WORK/files.txt"
done
# sharp's libvips and onnxruntime's libonnxruntime are dlopened by path: take their whole folders.
(cd "$ROOT" && find node_modules/@img/sharp-libvips-linux-x64/lib node_modules/onnxruntime-node/bin/napi-v6/linux/x64 -type f) >>"$WORK/files.txt"
sort -u "$WORK/files.txt" -o "$WORK/files.txt"
grep -q 'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js' "$WORK/files.txt" ||
  die "trace did not see tfjs-backend-wasm: is strace allowed here?"

(cd "$ROOT" && tar -cf - -T "$WORK/files.txt") | tar -xf - -C "$STAGE/app"
# Workspace links as npm makes them, so `@ferry/core` resolves inside the bundle.
mkdir -p "$STAGE/app/node_modules/@ferry"
for p in "${PACKAGES[@]}"; do ln -s "../../packages/$p" "$STAGE/app/node_modules/@ferry/$p"; done
cp "$ROOT/package.json" "$STAGE/app/package.json"

# 2. Node, the Vulkan loader, the backbone, the data.
cp "$NODE_BIN" "$STAGE/bin/node"
strip --strip-debug "$STAGE/bin/node" 2>/dev/null || say "strip failed; keeping Node unstripped"
cp "$LIBVULKAN" "$STAGE/lib/libvulkan.so.1"
cp -r "$MODELS_DIR/$BACKBONE" "$STAGE/models/"
if [ "$SHORT_SIDE" != 0 ]; then
  say "ants/bees with the shorter side scaled to $SHORT_SIDE px"
  "$NODE_BIN" "$ROOT/bench/gpu/prepare-data.mjs" resize "$DATA_DIR/hymenoptera_data" \
    "$STAGE/data/hymenoptera_data" "$SHORT_SIDE" >&2
fi

cat >"$STAGE/ferry" <<'EOF'
#!/bin/sh
# The bundled ferry CLI: bundled Node, bundled Vulkan loader first on the library path.
HERE=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$HERE/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
exec "$HERE/bin/node" "$HERE/app/packages/trainer/dist/cli.js" "$@"
EOF
chmod +x "$STAGE/ferry"
{
  echo "packed: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git -C "$ROOT" rev-parse HEAD)"
  echo "uncommitted in packages/{$(IFS=,; echo "${PACKAGES[*]}")}: $(cd "$ROOT" && git status --porcelain "${PACKAGES[@]/#/packages/}" | wc -l) files"
  echo "node: $("$NODE_BIN" --version)"
  echo "libvulkan: $(basename "$LIBVULKAN")"
  echo "data: ${SHORT_SIDE:+shorter side $SHORT_SIDE px (0 = none)}"
  echo "files in app/: $(wc -l <"$WORK/files.txt")"
} >"$STAGE/MANIFEST"

# 3. Archive (xz: Node and the .so files shrink to about a third) and enforce the limit.
mkdir -p "$OUT_DIR"
tar -C "$WORK" -cf - ferry-gpu | xz -T0 -6 >"$ARCHIVE.tmp"
mv "$ARCHIVE.tmp" "$ARCHIVE"
BYTES=$(stat -c %s "$ARCHIVE")
say "unpacked $(du -sh "$STAGE" | cut -f1), archive $(awk "BEGIN{printf \"%.1f\", $BYTES/1048576}") MiB: $ARCHIVE"
TREE=$(git -C "$ROOT" ls-files -z --cached --others --exclude-standard | (cd "$ROOT" && du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1))
if [ $((BYTES + TREE)) -gt $((LIMIT_MIB * 1048576)) ]; then
  die "bundle ($BYTES bytes) + working tree ($TREE bytes) exceed the device tool's $LIMIT_MIB MiB; use a smaller --data-short-side or 0"
fi

# 4. Prove it is self-contained: unpack elsewhere, no repo node_modules reachable, and run it.
say "self-test: unpacking into a temp dir and training with the bundled Node"
TEST=$WORK/selftest
mkdir -p "$TEST"
xz -dc "$ARCHIVE" | tar -xf - -C "$TEST"
B=$TEST/ferry-gpu
env -i PATH=/usr/bin:/bin HOME="$TEST" "$B/ferry" train --help | grep -q -- '--backend' || die "bundled train --help failed"
DATA=$B/data/hymenoptera_data
if [ "$SHORT_SIDE" = 0 ]; then DATA=$WORK/syn; fi
# A small slice so the self-test stays short on a 2-core machine: 4 photos per class and split.
SLICE=$TEST/slice
for split in train val; do
  for label in $(ls "$DATA/$split"); do
    mkdir -p "$SLICE/$split/$label"
    ls "$DATA/$split/$label" | head -4 | while read -r f; do cp "$DATA/$split/$label/$f" "$SLICE/$split/$label/"; done
  done
done
env -i PATH=/usr/bin:/bin HOME="$TEST" FERRY_MODELS_DIR="$B/models" FERRY_CACHE_DIR="$TEST/cache" \
  "$B/ferry" train --data "$SLICE" --out "$TEST/run" --mode finetune --epochs 1 --batch-size 4 \
  --backend webgpu --json >"$TEST/train.log" 2>&1 || { tail -20 "$TEST/train.log" >&2; die "bundled training failed"; }
[ -f "$TEST/run/model.onnx" ] || die "bundled training wrote no model.onnx"
grep '"type":"result"' "$TEST/train.log" | head -c 400 >&2; echo >&2
grep -m1 'webgpu' "$TEST/train.log" >&2 || true
say "ok: $ARCHIVE ($(awk "BEGIN{printf \"%.1f\", $BYTES/1048576}") MiB) runs train --help and a webgpu finetune from a bare directory"
echo "$ARCHIVE"
