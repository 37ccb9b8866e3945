"""The `ember` command: `ember train` writes a checkpoint, metrics JSON and a loss plot and
prints the test accuracy; `ember info`; bad inputs get one-line argparse errors."""

import json
import os
import subprocess
import sys
import tempfile

import pytest

import ember
from ember import cli

pytest.importorskip("mnist1d")
pytest.importorskip("matplotlib")

CACHE = os.path.join(tempfile.gettempdir(), f"ember-test-cache-{os.getuid()}")
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _cache(monkeypatch):
    monkeypatch.setenv("EMBER_HOME", CACHE)


def one_line_error(capsys, argv) -> str:
    with pytest.raises(SystemExit) as e:
        cli.main(argv)
    assert e.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("usage: ember")
    assert "Traceback" not in "\n".join(err)
    return err[-1]


@pytest.mark.parametrize("model", ["logreg", "mlp", "cnn", "gru"])
def test_train_mnist1d_writes_outputs(tmp_path, capsys, model):
    out = tmp_path / "run"
    assert cli.main(["train", "--model", model, "--epochs", "2", "--limit", "300",
                     "--out", str(out), "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert f"{model} on mnist1d (300 train / 1000 test)" in text
    assert "test accuracy: " in text
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["model"] == model and len(metrics["history"]) == 2
    acc = metrics["final"]["test_accuracy"]
    assert 0.0 <= acc <= 1.0 and f"test accuracy: {100 * acc:.1f}%" in text
    assert (out / "loss.png").read_bytes()[:8] == PNG
    state = ember.load(out / "checkpoint.pt")
    assert state["epoch"] == 2 and set(state) >= {"model", "optimizer", "rng_state"}


def test_paper_models_have_the_papers_parameter_counts():
    from ember.train.models import make_model

    counts = {name: sum(p.numel() for p in make_model("mnist1d", name).parameters())
              for name in ("logreg", "mlp", "cnn", "gru")}
    # 40*10+10; 40*100+100 + 100*100+100 + 100*10+10; 3 convs + 125*10+10;
    # GRU(1, 6, bidirectional) 2*(3*6*1 + 3*6*6 + 2*3*6) + 480*10+10
    assert counts == {"logreg": 410, "mlp": 15210, "cnn": 5210, "gru": 5134}


def test_train_digits_and_resume(tmp_path, capsys):
    out = tmp_path / "d"
    cli.main(["train", "--data", "digits", "--model", "mlp", "--epochs", "1", "--out", str(out),
              "--no-progress"])
    first = json.loads((out / "metrics.json").read_text())
    cli.main(["train", "--data", "digits", "--model", "mlp", "--epochs", "2", "--out", str(out),
              "--resume", str(out / "checkpoint.pt"), "--no-progress"])
    second = json.loads((out / "metrics.json").read_text())
    assert [r["epoch"] for r in second["history"]] == [1, 2]
    assert second["history"][0] == first["history"][0]
    assert "(1437 train / 360 test)" in capsys.readouterr().out


def test_progress_bar_shows_loss_and_metrics(tmp_path, capsys):
    cli.main(["train", "--model", "logreg", "--epochs", "1", "--limit", "200",
              "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert "epoch 1/1" in err and "2/2" in err and "valid_loss" in err and "accuracy" in err


def test_wrong_model_name(capsys):
    last = one_line_error(capsys, ["train", "--model", "resnet"])
    assert last.startswith("ember train: error: argument --model: invalid choice: 'resnet' "
                           "(choose from ")
    assert [m in last for m in ("logreg", "mlp", "cnn", "gru")] == [True] * 4


def test_gru_is_for_mnist1d_only(capsys):
    last = one_line_error(capsys, ["train", "--data", "digits", "--model", "gru"])
    assert last == ("ember train: error: --model gru is for mnist1d only; choose one of "
                    "logreg, mlp, cnn for --data digits")


def test_missing_mnist_folder(tmp_path, capsys):
    last = one_line_error(capsys, ["train", "--data", "mnist", "--root",
                                   str(tmp_path / "nope")])
    assert last.startswith(f"ember train: error: data folder {tmp_path / 'nope'} does not "
                           "exist; create it and put the four MNIST IDX files")
    last = one_line_error(capsys, ["train", "--data", "fashion-mnist", "--root", str(tmp_path)])
    assert "FashionMNIST: train-images-idx3-ubyte[.gz] not found in" in last
    last = one_line_error(capsys, ["train", "--data", "mnist"])
    assert "--data mnist reads IDX files: pass --root DIR" in last


def test_corrupt_checkpoint(tmp_path, capsys):
    bad = tmp_path / "ckpt.pt"
    bad.write_bytes(b"PK\x03\x04 truncated zip")
    last = one_line_error(capsys, ["train", "--model", "logreg", "--resume", str(bad),
                                   "--out", str(tmp_path / "o")])
    assert last.startswith(f"ember train: error: cannot resume from {bad}: corrupt or "
                           "incompatible checkpoint")
    last = one_line_error(capsys, ["train", "--resume", str(tmp_path / "none.pt"),
                                   "--out", str(tmp_path / "o")])
    assert last == f"ember train: error: --resume: no checkpoint at {tmp_path / 'none.pt'}"


def test_checkpoint_of_another_model(tmp_path, capsys):
    cli.main(["train", "--model", "logreg", "--epochs", "1", "--limit", "100",
              "--out", str(tmp_path), "--no-progress"])
    last = one_line_error(capsys, ["train", "--model", "mlp", "--resume",
                                   str(tmp_path / "checkpoint.pt"), "--out", str(tmp_path)])
    assert "corrupt or incompatible checkpoint (Error(s) in loading state_dict" in last


@pytest.mark.parametrize("argv, message", [
    (["train", "--epochs", "0"], "argument --epochs: must be a positive integer, got 0"),
    (["train", "--lr", "abc"], "argument --lr: invalid float value: 'abc'"),
    (["train", "--data", "cifar"], "argument --data: invalid choice: 'cifar'"),
])
def test_bad_numbers_and_choices(capsys, argv, message):
    assert message in one_line_error(capsys, argv)


def test_no_command(capsys):
    with pytest.raises(SystemExit):
        cli.main([])
    assert "the following arguments are required: {train,info}" in capsys.readouterr().err


def test_python_dash_m_ember_info():
    out = subprocess.run([sys.executable, "-m", "ember", "info"], capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith(f"ember {ember.__version__}\n")
    for key in ("numpy ", "BLAS: ", "CPU cores: ", "threads: ", "devices: cpu"):
        assert key in out


def test_train_mnist_from_idx_files(tmp_path, capsys):
    import numpy as np

    from ember.datasets import write_idx

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 40), ("t10k", 20)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz",
                  rng.integers(0, 10, n, dtype=np.uint8))
    assert cli.main(["train", "--data", "mnist", "--root", str(tmp_path), "--model", "cnn",
                     "--epochs", "1", "--batch-size", "20", "--out", str(tmp_path / "o"),
                     "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "cnn on mnist (40 train / 20 test)" in out and "test accuracy: " in out
