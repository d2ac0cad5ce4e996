"""Summary of a bench/gpu/run-on-device.sh run: one JSON object on stdout.

Usage: summarize.py OUT_DIR [GPU_LINE] [--cpu-finetune-ips X]

Reads OUT_DIR/ferry-<mode>.jsonl (ferry train --json lines) and OUT_DIR/pytorch-<mode>.json (the
peer's JSON line). Ferry's per-epoch images/s divides the epoch's train images by the whole epoch
(train + val), so the peer's matching figure is epoch_images_per_second; epoch 1 includes shader
compilation (WebGPU) or cuDNN autotuning, so the steady figure is the median of epochs 2..N.
The issue's targets: Ferry finetune on the GPU >= 10x the 2-core CPU wasm finetune, and within 3x
of PyTorch on the same GPU and recipe.
"""
import json
import os
import statistics
import sys


def read_lines(path):
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    return rows


def steady(values):
    later = values[1:] or values
    return round(statistics.median(later), 2) if later else None


def ferry_run(out, mode):
    rows = read_lines(os.path.join(out, f"ferry-{mode}.jsonl"))
    start = next((r for r in rows if r.get("type") == "start"), None)
    # finetune's default warm start trains a head on cached features first; its epoch lines carry
    # phase "warm-start" and are not the all-layer throughput being compared.
    epochs = [r for r in rows if r.get("type") == "epoch" and r.get("phase") != "warm-start"]
    result = next((r for r in rows if r.get("type") == "result"), None)
    if not epochs:
        stderr = os.path.join(out, f"ferry-{mode}.stderr")
        tail = open(stderr).read()[-600:] if os.path.exists(stderr) else ""
        return {"ok": False, "backend": start and start.get("backend"), "error": tail}
    ips = [e["imagesPerSecond"] for e in epochs]
    return {
        "ok": result is not None,
        "backend": start and start.get("backend"),
        "on_gpu": bool(start and str(start.get("backend", "")).startswith("webgpu")),
        "epochs": len(epochs),
        "images_per_second_by_epoch": [round(x, 2) for x in ips],
        "images_per_second_steady": steady(ips),
        "best_val_accuracy": max(e["valAccuracy"] for e in epochs),
    }


def peer_run(out, mode):
    rows = read_lines(os.path.join(out, f"pytorch-{mode}.json"))
    if not rows:
        stderr = os.path.join(out, f"pytorch-{mode}.stderr")
        tail = open(stderr).read()[-600:] if os.path.exists(stderr) else ""
        return {"ok": False, "error": tail}
    r = rows[-1]
    return {
        "ok": True,
        "mode": r.get("mode"),
        "gpu": r.get("gpu"),
        "torch": r.get("torch"),
        "epochs": r.get("epochs"),
        "train_images_per_second": r.get("train_images_per_second"),
        "epoch_images_per_second": r.get("epoch_images_per_second"),
        "best_val_accuracy": r.get("best_val_acc"),
    }


def main(argv):
    out = argv[1]
    gpu = argv[2] if len(argv) > 2 and not argv[2].startswith("--") else None
    cpu_ips = None
    if "--cpu-finetune-ips" in argv:
        cpu_ips = float(argv[argv.index("--cpu-finetune-ips") + 1])
    adapter = read_lines(os.path.join(out, "adapter.json"))
    summary = {"gpu": gpu, "adapter": adapter[-1] if adapter else None, "runs": {}}
    for mode in ("finetune", "freeze"):
        ferry, peer = ferry_run(out, mode), peer_run(out, mode)
        if not os.path.exists(os.path.join(out, f"ferry-{mode}.jsonl")) and not peer["ok"]:
            continue
        entry = {"ferry": ferry, "pytorch": peer}
        f_ips, p_ips = ferry.get("images_per_second_steady"), peer.get("epoch_images_per_second")
        if f_ips and p_ips:
            entry["pytorch_over_ferry"] = round(p_ips / f_ips, 2)
        summary["runs"][mode] = entry
    fin = summary["runs"].get("finetune", {})
    f_ips = fin.get("ferry", {}).get("images_per_second_steady")
    targets = {}
    if cpu_ips and f_ips:
        targets["finetune_vs_cpu"] = round(f_ips / cpu_ips, 1)
        targets["finetune_vs_cpu_ok"] = f_ips / cpu_ips >= 10
    if "pytorch_over_ferry" in fin:
        targets["within_3x_of_pytorch_ok"] = fin["pytorch_over_ferry"] <= 3
    targets["finetune_ran_on_gpu"] = fin.get("ferry", {}).get("on_gpu", False)
    summary["targets"] = targets
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main(sys.argv)
