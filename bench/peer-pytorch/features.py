"""Precomputed features + a linear layer: the strongest simple PyTorch peer of `ferry train`.

The recipe of ocaml-torch's finetuning example (its answer to the PyTorch transfer-learning
tutorial), on Ferry's MobileNetV2 weights: run the frozen backbone once per image in eval mode
(batch 32 here), keep the pooled features, then train one linear layer on them with SGD(lr 1e-3,
momentum 0.9), batch 8, shuffled, 20 epochs, CrossEntropyLoss; best val accuracy kept (as the
tutorial and Ferry both report). Images: Resize(256) + CenterCrop(224), Normalize(0.5, 0.5) =
the backbone's x/127.5 - 1, as Ferry's eval pipeline.

--aug-views N adds N augmented views per training image (RandomResizedCrop(224, scale 0.25-1) +
RandomHorizontalFlip, Ferry's features-mode train views), each through the backbone once: peer
(c), like for like with Ferry's default (2 augmented views + the plain one).

The backbone is mobilenet_v2.py's native module with BatchNorm folded into the convolutions,
optionally traced and frozen by TorchScript (--impl); bench/run.js records which is fastest.
Prints one JSON line: accuracy, wall time, and the time split (import, load, extraction, head).

Usage: features.py --data DIR --backbone DIR [--aug-views 0] [--threads 2] [--workers 1]
       [--batch-size 32] [--impl fused|jit|eager|interpreter] [--epochs 20] [--seed 0]
"""
import time

t_start = time.time()
import argparse
import json
import os

import torch
import torch.nn as nn
from torchvision import datasets, transforms

t_imported = time.time()

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--backbone", required=True)
parser.add_argument("--aug-views", type=int, default=0)
parser.add_argument("--threads", type=int, default=0)
parser.add_argument("--workers", type=int, default=1)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--impl", choices=["fused", "jit", "eager", "interpreter"], default="fused")
parser.add_argument("--channels-last", action="store_true")
parser.add_argument("--epochs", type=int, default=20)
parser.add_argument("--head-batch-size", type=int, default=8)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--extra-seeds", default="",
                    help="comma-separated seeds: after the timed run, train one more head per seed on the same "
                         "features and report each one's best val accuracy (seed_accuracy)")
args = parser.parse_args()

torch.manual_seed(args.seed)
if args.threads:
    torch.set_num_threads(args.threads)
normalize = transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
plain = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), normalize])
augmented = transforms.Compose([transforms.RandomResizedCrop(224, scale=(0.25, 1.0)), transforms.RandomHorizontalFlip(),
                                transforms.ToTensor(), normalize])


class Views:
    """Decodes each file once and returns its plain view plus `aug` augmented views."""

    def __init__(self, aug):
        self.aug = aug

    def __call__(self, image):
        return torch.stack([plain(image)] + [augmented(image) for _ in range(self.aug)])


def build_backbone():
    if args.impl == "interpreter":
        from tfjs_port import Interpreter

        class Pooled(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = Interpreter(args.backbone, "out_relu")

            def forward(self, x):
                return self.net(x).mean(dim=(2, 3))

        return Pooled().eval()
    from mobilenet_v2 import MobileNetV2Features, fuse_for_inference
    model = MobileNetV2Features(args.backbone, pool=True).eval()
    if args.impl == "eager":
        return model
    model = fuse_for_inference(model)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    if args.impl == "jit":
        example = torch.zeros(args.batch_size, 3, 224, 224)
        model = torch.jit.optimize_for_inference(torch.jit.freeze(torch.jit.trace(model, example)))
    return model


t0 = time.time()
backbone = build_backbone()
t_loaded = time.time()


def extract(split, aug):
    folder = datasets.ImageFolder(os.path.join(args.data, split), Views(aug))
    # Views of one file arrive together: batch by images so a batch holds batch_size views.
    per_batch = max(1, args.batch_size // (1 + aug))
    loader = torch.utils.data.DataLoader(folder, batch_size=per_batch, num_workers=args.workers)
    feats, labels = [], []
    with torch.inference_mode():
        for x, y in loader:
            x = x.flatten(0, 1)
            if args.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            feats.append(backbone(x))
            labels.append(y.repeat_interleave(1 + aug))
    return torch.cat(feats), torch.cat(labels), folder.classes


t1 = time.time()
train_x, train_y, classes = extract("train", args.aug_views)
t2 = time.time()
val_x, val_y, _ = extract("val", 0)
t3 = time.time()


def train_head(seed=None):
    """The linear layer on the stored features; its val accuracy after every epoch. Without a seed
    it continues the generator seeded by --seed at the start (the timed run, as always)."""
    if seed is not None:
        torch.manual_seed(seed)
    fc = nn.Linear(train_x.shape[1], len(classes))
    optimizer = torch.optim.SGD(fc.parameters(), lr=1e-3, momentum=0.9)
    criterion = nn.CrossEntropyLoss()
    train_set = torch.utils.data.TensorDataset(train_x, train_y)
    loader = torch.utils.data.DataLoader(train_set, batch_size=args.head_batch_size, shuffle=True)
    history = []
    for epoch in range(args.epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = criterion(fc(x), y)
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            history.append(float((fc(val_x).argmax(1) == val_y).float().mean()))
    return history


history = train_head()
t4 = time.time()

print(json.dumps({
    "peer": "pytorch-precomputed-features", "impl": args.impl, "channels_last": args.channels_last,
    "aug_views": args.aug_views, "threads": torch.get_num_threads(), "workers": args.workers,
    "batch_size": args.batch_size, "epochs": args.epochs, "torch": torch.__version__,
    "train_views": len(train_x), "val_images": len(val_x),
    "best_val_acc": max(history), "final_val_acc": history[-1], "best_epoch": history.index(max(history)) + 1,
    "wall_seconds": time.time() - t_start,
    "seconds": {"import": t_imported - t_start, "backbone_load": t_loaded - t0, "extract_train": t2 - t1,
                "extract_val": t3 - t2, "head": t4 - t3},
    "history": history,
    # Not part of wall_seconds' recipe: more heads on the same features, one per extra seed.
    "seed_accuracy": {int(seed): max(train_head(int(seed))) for seed in args.extra_seeds.split(",") if seed},
}))
