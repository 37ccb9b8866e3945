"""The `ember` command (also `python -m ember`).

    ember train [--data mnist1d] [--model cnn] [--epochs N] [--lr LR] [--batch-size B]
                [--optimizer adam|adamw] [--weight-decay WD] [--schedule constant|cosine]
                [--seed S] [--out DIR] [--root DIR] [--resume CKPT]
    ember info

`ember train` trains one of the MNIST-1D paper's models (logreg, mlp, cnn, gru) or a small
model on the 8x8 digits / MNIST / Fashion-MNIST, shows a progress bar, prints the final test
accuracy and writes `checkpoint.pt`, `metrics.json` and `loss.png` into `--out`.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import sys
import time

DATASETS = ("mnist1d", "digits", "mnist", "fashion-mnist")
MODELS = ("logreg", "mlp", "cnn", "gru")
IMAGE_MODELS = ("logreg", "mlp", "cnn")
# the paper's setup: Adam, lr 1e-2, batch 100 (its 6000 steps are 150 epochs of 40 batches)
DEFAULTS = {"epochs": 40, "lr": 1e-2, "batch_size": 100, "seed": 42}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ember", description="ember: PyTorch written from scratch on NumPy.")
    sub = parser.add_subparsers(dest="command", metavar="{train,info}")
    sub.required = True
    t = sub.add_parser("train", help="train a model on MNIST-1D, digits, MNIST or Fashion-MNIST",
                       description="Train a model and print its test accuracy.")
    t.add_argument("--data", choices=DATASETS, default="mnist1d",
                   help="dataset (default mnist1d; mnist/fashion-mnist read IDX files "
                        "from --root)")
    t.add_argument("--model", choices=MODELS, default="cnn",
                   help="model: logreg, mlp, cnn (all datasets), gru (mnist1d); default cnn")
    t.add_argument("--epochs", type=_positive_int, default=DEFAULTS["epochs"],
                   help="epochs in all, counting those of a --resume checkpoint (default 40; "
                        "the paper trains 150)")
    t.add_argument("--lr", type=_positive_float, default=DEFAULTS["lr"],
                   help="learning rate (default 0.01, the paper's; the peak of --schedule "
                        "cosine)")
    t.add_argument("--batch-size", type=_positive_int, default=DEFAULTS["batch_size"],
                   help="default 100")
    t.add_argument("--optimizer", choices=("adam", "adamw"), default="adam",
                   help="adam (default, the paper's) or adamw (decoupled weight decay)")
    t.add_argument("--weight-decay", type=float, default=0.0,
                   help="weight decay of the optimizer (default 0, the paper's)")
    t.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                   help="learning rate schedule: constant (default, the paper's) or cosine "
                        "(CosineAnnealingLR from --lr to 0 over all --epochs, stepped every "
                        "batch)")
    t.add_argument("--seed", type=int, default=DEFAULTS["seed"],
                   help="seed of ember's generator: initial weights and shuffling (default 42)")
    t.add_argument("--out", default="ember-run", help="output folder (default ./ember-run)")
    t.add_argument("--root", default=None,
                   help="data folder: MNIST/Fashion-MNIST IDX files, or the MNIST-1D cache "
                        "(default $EMBER_HOME or ~/.cache/ember)")
    t.add_argument("--resume", default=None, metavar="CKPT",
                   help="continue from a checkpoint written by a previous run")
    t.add_argument("--limit", type=_positive_int, default=None,
                   help="use only the first N training samples (quick runs)")
    t.add_argument("--threads", type=_positive_int, default=1,
                   help="BLAS threads (default 1: fastest for these small models, and "
                        "steady on a busy machine)")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    sub.add_parser("info", help="print versions, BLAS, threads and devices")
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def load_data(name: str, root=None):
    """(train, test) datasets for `name`."""
    from . import datasets

    if name == "mnist1d":
        return datasets.MNIST1D(root, train=True), datasets.MNIST1D(root, train=False)
    if name == "digits":
        return datasets.Digits(train=True), datasets.Digits(train=False)
    cls = datasets.MNIST if name == "mnist" else datasets.FashionMNIST
    if root is None:
        raise FileNotFoundError(f"--data {name} reads IDX files: pass --root DIR, the folder "
                                "holding train-images-idx3-ubyte[.gz] and the other three files")
    if not pathlib.Path(root).is_dir():
        raise FileNotFoundError(f"data folder {root} does not exist; create it and put the four "
                                f"{cls.__name__} IDX files (e.g. train-images-idx3-ubyte.gz) in it")
    return cls(root, train=True), cls(root, train=False)


def batches(dataset, batch_size: int, shuffle: bool):
    """A DataLoader yielding whole batches by fancy indexing (no per-sample collation);
    shuffling draws its seed from ember's default generator, as torch's RandomSampler."""
    from .utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

    sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
    return DataLoader(dataset, sampler=BatchSampler(sampler, batch_size, drop_last=False),
                      batch_size=None)


def train(args, parser) -> int:
    import ember

    from . import optim
    from . import train as T
    from .train.models import make_model
    from .utils.data import Subset

    if args.data != "mnist1d" and args.model == "gru":
        parser.error(f"--model gru is for mnist1d only; choose one of "
                     f"{', '.join(IMAGE_MODELS)} for --data {args.data}")
    try:
        train_ds, test_ds = load_data(args.data, args.root)
    except (FileNotFoundError, ImportError, ValueError) as e:
        parser.error(str(e))
    if args.limit is not None:
        train_ds = _limit(train_ds, args.limit, Subset)
    out = pathlib.Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        parser.error(f"cannot create --out folder {out}: {e.strerror}")

    _limit_blas_threads(args.threads)
    ember.manual_seed(args.seed)
    model = make_model(args.data, args.model)
    opt_class = optim.AdamW if args.optimizer == "adamw" else optim.Adam
    opt = opt_class(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    train_dl = batches(train_ds, args.batch_size, shuffle=True)
    scheduler = None
    if args.schedule == "cosine":
        scheduler = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs * len(train_dl))
    test_dl = batches(test_ds, 1000, shuffle=False)
    config = {"data": args.data, "model": args.model, "epochs": args.epochs, "lr": args.lr,
              "batch_size": args.batch_size, "optimizer": args.optimizer,
              "weight_decay": args.weight_decay, "schedule": args.schedule,
              "seed": args.seed, "train_samples": len(train_ds), "test_samples": len(test_ds),
              "parameters": sum(p.numel() for p in model.parameters())}
    callbacks = [T.MetricsLogger(out / "metrics.json", extra={"config": config}),
                 T.Checkpoint(out / "checkpoint.pt"),
                 T.PlotLosses(out / "loss.png",
                              title=f"{args.model} on {args.data}, lr {args.lr:g}")]
    if not args.no_progress:
        callbacks.insert(0, T.ProgressBar())
    learn = T.Learner(model, train_dl, test_dl, opt=opt, scheduler=scheduler,
                      scheduler_interval="batch", callbacks=callbacks)
    if args.resume is not None:
        try:
            learn.load_checkpoint(args.resume)
        except FileNotFoundError:
            parser.error(f"--resume: no checkpoint at {args.resume}")
        except T.CheckpointError as e:
            parser.error(str(e))
    remaining = args.epochs - learn.epoch
    print(f"ember {ember.__version__}: {args.model} on {args.data} ({len(train_ds)} train / "
          f"{len(test_ds)} test), {config['parameters']} parameters, {args.epochs} epochs, "
          f"{opt_class.__name__} lr {args.lr:g}"
          + (f" weight decay {args.weight_decay:g}" if args.weight_decay else "")
          + (" cosine" if args.schedule == "cosine" else "")
          + f", batch {args.batch_size}, seed {args.seed}", flush=True)
    start = time.perf_counter()
    if remaining > 0:
        learn.fit(remaining)
    else:
        print(f"checkpoint already has {learn.epoch} epochs; evaluating only")
    seconds = time.perf_counter() - start
    train_seconds = sum(r["seconds"] for r in learn.history)
    result = learn.validate()
    summary = {"test_accuracy": result["accuracy"], "test_loss": result["valid_loss"],
               "epochs": learn.epoch, "seconds": seconds, "train_seconds": train_seconds}
    data = json.loads((out / "metrics.json").read_text()) if (out / "metrics.json").exists() \
        else {"config": config, "history": learn.history}
    data["final"] = summary
    (out / "metrics.json").write_text(json.dumps(data, indent=2) + "\n")
    print(f"test accuracy: {100 * result['accuracy']:.1f}%  (test loss {result['valid_loss']:.4f}"
          f", {learn.epoch} epochs, {train_seconds:.1f}s training, {seconds:.1f}s in all)")
    print(f"wrote {out / 'checkpoint.pt'}, {out / 'metrics.json'}, {out / 'loss.png'}")
    return 0


def _limit_blas_threads(n: int) -> None:
    """Cap the BLAS thread pools (`ember.set_num_threads`); a busy machine makes spinning
    BLAS threads slow small matrix products by 10-50x."""
    import ember
    ember.set_num_threads(n)


def _limit(dataset, n, Subset):
    return Subset(dataset, list(range(min(n, len(dataset)))))


def info() -> int:
    import numpy as np

    import ember

    print(f"ember {ember.__version__}")
    print(f"python {platform.python_version()} ({platform.python_implementation()}) on "
          f"{platform.platform()}")
    print(f"numpy {np.__version__}")
    blas = _blas_info(np)
    print(f"BLAS: {blas}")
    print(f"CPU cores: {os.cpu_count()}")
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                           "MKL_NUM_THREADS") if k in os.environ}
    print(f"threads: {_blas_threads() or 'default'}"
          + (f" (env {', '.join(f'{k}={v}' for k, v in threads.items())})" if threads else ""))
    devices = ["cpu"]
    try:
        if ember.cuda.is_available():
            devices += [f"cuda:{i}" for i in range(ember.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken CuPy install still lets info print
        pass
    print(f"devices: {', '.join(devices)}")
    for name in ("mnist1d", "sklearn", "tqdm", "matplotlib", "cupy"):
        print(f"{name}: {_version(name)}")
    return 0


def _version(module: str) -> str:
    from importlib import metadata

    dist = {"sklearn": "scikit-learn"}.get(module, module)
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        if module == "cupy":
            for d in ("cupy-cuda12x", "cupy-cuda11x"):
                try:
                    return metadata.version(d)
                except metadata.PackageNotFoundError:
                    pass
        return "not installed"


def _blas_info(np) -> str:
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    except Exception:  # noqa: BLE001 - older numpy has no mode="dicts"
        return "unknown"


def _blas_threads():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools) or None


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "info":
            return info()
        sub = parser._subparsers._group_actions[0].choices["train"]
        return train(args, sub)
    except BrokenPipeError:  # `ember info | head`: stop quietly like other commands
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
