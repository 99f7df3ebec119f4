"""PyTorch side of `npm run bench:peers` (bench/peers/torch.ts starts it; tooling, not the engine).

One process per bench run, one thread: torch.set_num_threads(1) and set_num_interop_threads(1).
It reads one JSON request per line on stdin and answers one JSON line on stdout:

  {"id": 1, "cmd": "hello"}                      -> torch and Python versions, threads, CPU capability
  {"id": 2, "cmd": "setup", "key": k, "workload": {...}}
      builds a workload from typegrad's tensors (float32 files written by torch.ts), runs it once
      and writes that call's outputs next to them: {"outputs": {name: {"file", "shape"}}}
  {"id": 3, "cmd": "time", "key": k, "roundMs": 100, "maxIters": 200}
      a full gc.collect() (untimed), then calls the workload until roundMs have passed (at least one
      call, at most maxIters), each call timed with time.perf_counter: {"times": [ms, ...]}
  {"id": 4, "cmd": "drop", "key": k}, {"id": 5, "cmd": "quit"}

Errors answer {"id": n, "error": "..."}; the Node side fails that row. Tensors are raw
little-endian float32 files ({"file", "shape"}); integer labels and tokens come inline as lists.

Workloads (built as a PyTorch user would write them, same shapes and weights as typegrad's):
  norm    nn.BatchNorm2d / LayerNorm / GroupNorm / InstanceNorm2d(affine) / RMSNorm in training
          mode; "fwd": forward under no_grad; "fwdbwd": x.grad = None, zero_grad, forward,
          backward(dy) -> y or dx, dweight, dbias
  matmul  torch.mm(a, b) under no_grad
  train   one training step: loss = cross_entropy(model(x), labels); opt.zero_grad();
          loss.backward(); [clip_grad_norm_]; opt.step() -> loss, every gradient, every parameter
          after the step. Models: "mlp" (examples/demo.ts with BatchNorm1d), "cnn" (examples/cnn.ts),
          "gpt" (nanoGPT's model.py, bias=True, dropout 0, as examples/gpt/model.ts)
"""

import gc
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
torch.set_num_interop_threads(1)
DIR = None  # the folder the Node side shares files in (from "hello")


def load(ref):
    data = np.fromfile(ref["file"], dtype="<f4")
    return torch.from_numpy(data.reshape(ref["shape"])).clone()


def save(name, t):
    path = os.path.join(DIR, name + ".f32")
    t.detach().contiguous().float().numpy().astype("<f4").tofile(path)
    return {"file": path, "shape": list(t.shape)}


# ---- norms -------------------------------------------------------------------------------------


def norm_module(w):
    kind, shape = w["kind"], w["shape"]
    channels, last = shape[1], shape[-1]
    if kind == "batch":
        return nn.BatchNorm2d(channels, eps=w["eps"])
    if kind == "layer":
        return nn.LayerNorm(last, eps=w["eps"])
    if kind == "group":
        return nn.GroupNorm(w["groups"], channels, eps=w["eps"])
    if kind == "instance":
        return nn.InstanceNorm2d(channels, eps=w["eps"], affine=True)
    if kind == "rms":
        return nn.RMSNorm(last, eps=w["eps"])
    raise ValueError(f"norm: unknown kind {kind!r}")


def setup_norm(key, w):
    layer = norm_module(w).train()
    with torch.no_grad():
        layer.weight.copy_(load(w["weight"]))
        if getattr(layer, "bias", None) is not None:  # RMSNorm has no bias
            layer.bias.copy_(load(w["bias"]))
    x = load(w["x"])
    if w["mode"] == "fwd":

        def fn():
            with torch.no_grad():
                return layer(x)

        return fn, lambda y: {"y": y}
    xg = x.clone().requires_grad_(True)
    dy = load(w["dy"])

    def fn():
        xg.grad = None
        layer.zero_grad()
        layer(xg).backward(dy)

    def outputs(_):
        out = {"dx": xg.grad, "dweight": layer.weight.grad}
        if getattr(layer, "bias", None) is not None:
            out["dbias"] = layer.bias.grad
        return out

    return fn, outputs


def setup_matmul(key, w):
    a, b = load(w["a"]), load(w["b"])

    def fn():
        with torch.no_grad():
            return torch.mm(a, b)

    return fn, lambda c: {"C": c}


# ---- models ------------------------------------------------------------------------------------


def mlp_model(cfg):
    layers, fan_in = [], cfg["inFeatures"]
    for _ in range(cfg["hiddenLayers"]):
        layers += [nn.Linear(fan_in, cfg["hidden"], bias=False), nn.BatchNorm1d(cfg["hidden"]), nn.Sigmoid()]
        fan_in = cfg["hidden"]
    layers.append(nn.Linear(fan_in, cfg["classes"]))
    return nn.Sequential(*layers)


def cnn_model(cfg):
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )


# nanoGPT's model.py (Karpathy, MIT license), the parts a training step uses, unchanged in substance:
# LayerNorm with optional bias, causal self-attention through scaled_dot_product_attention, a GELU
# MLP, pre-norm blocks, weight tying of wte and lm_head, cross-entropy over the flattened logits.


class LayerNorm(nn.Module):
    def __init__(self, ndim, bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(ndim))
        self.bias = nn.Parameter(torch.zeros(ndim)) if bias else None

    def forward(self, input):
        return F.layer_norm(input, self.weight.shape, self.weight, self.bias, 1e-5)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config["n_embd"] % config["n_head"] == 0
        self.c_attn = nn.Linear(config["n_embd"], 3 * config["n_embd"], bias=config["bias"])
        self.c_proj = nn.Linear(config["n_embd"], config["n_embd"], bias=config["bias"])
        self.n_head = config["n_head"]
        self.n_embd = config["n_embd"]

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0, is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = nn.Linear(config["n_embd"], 4 * config["n_embd"], bias=config["bias"])
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * config["n_embd"], config["n_embd"], bias=config["bias"])

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = LayerNorm(config["n_embd"], bias=config["bias"])
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config["n_embd"], bias=config["bias"])
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(config["vocab_size"], config["n_embd"]),
                wpe=nn.Embedding(config["block_size"], config["n_embd"]),
                h=nn.ModuleList([Block(config) for _ in range(config["n_layer"])]),
                ln_f=LayerNorm(config["n_embd"], bias=config["bias"]),
            )
        )
        self.lm_head = nn.Linear(config["n_embd"], config["vocab_size"], bias=False)
        if config["tie"]:
            self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        return self.lm_head(x)


MODELS = {"mlp": mlp_model, "cnn": cnn_model, "gpt": GPT}


def setup_train(key, w):
    model = MODELS[w["model"]](w["config"]).train()
    # typegrad's parameter names map onto this model's (w["names"]: typegrad name -> torch name).
    ours = dict(model.named_parameters())
    given = w["params"]
    mapped = {w["names"].get(n, n): n for n in given}
    if set(mapped) != set(ours):
        raise ValueError(f"train {w['model']}: parameters differ: typegrad {sorted(mapped)}, torch {sorted(ours)}")
    with torch.no_grad():
        for torch_name, tg_name in mapped.items():
            value = load(given[tg_name])
            if tuple(value.shape) != tuple(ours[torch_name].shape):
                have = list(ours[torch_name].shape)
                raise ValueError(f"train: {tg_name} has shape {list(value.shape)}, torch {have}")
            ours[torch_name].copy_(value)
    x = torch.tensor(w["tokens"], dtype=torch.long).view(w["x"]["shape"]) if "tokens" in w else load(w["x"])
    labels = torch.tensor(w["labels"], dtype=torch.long)
    opt_cfg = w["optimizer"]
    params = list(model.parameters())
    if opt_cfg["name"] == "SGD":
        opt = torch.optim.SGD(params, lr=opt_cfg["lr"], momentum=opt_cfg["momentum"])
    elif opt_cfg["name"] == "AdamW-nanoGPT":
        # nanoGPT's configure_optimizers: decay the tensors of 2 or more dims, not the others.
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": opt_cfg["weightDecay"]},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        opt = torch.optim.AdamW(groups, lr=opt_cfg["lr"], betas=tuple(opt_cfg["betas"]))
    else:
        raise ValueError(f"train: unknown optimizer {opt_cfg['name']!r}")
    clip = w.get("clip")

    def fn():
        logits = model(x)
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), labels)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        return loss

    def outputs(loss):
        out = {"loss": loss.reshape(1)}
        for torch_name, tg_name in mapped.items():
            out["d " + tg_name] = ours[torch_name].grad
            out["after " + tg_name] = ours[torch_name]
        return out

    return fn, outputs


SETUPS = {"norm": setup_norm, "matmul": setup_matmul, "train": setup_train}
workloads = {}


def handle(req):
    global DIR
    cmd = req["cmd"]
    if cmd == "hello":
        DIR = req["dir"]
        return {
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "interopThreads": torch.get_num_interop_threads(),
            "capability": torch.backends.cpu.get_cpu_capability(),
        }
    if cmd == "setup":
        key, w = req["key"], req["workload"]
        fn, outputs = SETUPS[w["type"]](key, w)
        result = fn()
        workloads[key] = fn
        named = outputs(result)
        return {"outputs": {name: save(f"{key}.{i}", t) for i, (name, t) in enumerate(named.items())}}
    if cmd == "time":
        fn = workloads[req["key"]]
        gc.collect()
        times, round_s, max_iters = [], req["roundMs"] / 1000, req["maxIters"]
        start = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            fn()
            t1 = time.perf_counter()
            times.append((t1 - t0) * 1000)
            if len(times) >= max_iters or t1 - start >= round_s:
                break
        return {"times": times}
    if cmd == "drop":
        workloads.pop(req["key"], None)
        return {}
    raise ValueError(f"unknown command {cmd!r}")


def main():
    for line in sys.stdin:
        req = json.loads(line)
        if req["cmd"] == "quit":
            break
        try:
            reply = handle(req)
        except Exception as e:  # reported to the Node side, which fails the row
            reply = {"error": f"{type(e).__name__}: {e}"}
        reply["id"] = req["id"]
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
