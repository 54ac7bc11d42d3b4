"""A built dataset on disk: screenshots stored once by content, samples in shards that name them, a build whose
memory stays flat as samples grow, and the LLaMA-Factory export with the settings it needs and nothing else."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tracemalloc
from pathlib import Path

import pytest
import yaml
from PIL import Image

from agent.store import Store
from agent.trajectory import Consent, Provenance
from training.datafiles import DatasetWriter, images_dir, load_splits
from training.dataset import BuildOptions, build_dataset
from training.llamafactory import export_llamafactory
from training.samples import make_sample


def png(colour: str, size: tuple[int, int] = (448, 336)) -> bytes:
    return png_bytes(Image.new("RGB", size, colour))


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def conversation(text: str) -> list[dict]:
    return [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]},
    ]


def write_dataset(folder: Path, shard_size: int = 2) -> None:
    """Five train samples over two screenshots (one of them larger), one eval sample."""
    screens = [png("red"), png("blue", (560, 336))]
    with DatasetWriter(folder, shard_size=shard_size) as writer:
        for number in range(5):
            images = [screens[number % 2]]
            writer.add(
                "train",
                make_sample(
                    f"t{number}", 0, "cli", f"task {number}", conversation(f"step {number}"), images, f"Reply {number}."
                ),
            )
        writer.add("eval", make_sample("e", 0, "cli", "held out", conversation("eval"), [screens[0]], "Reply."))


@pytest.mark.unit
def test_each_screenshot_is_stored_once_and_samples_name_it(tmp_path):
    write_dataset(tmp_path / "data")
    stored = sorted(images_dir(tmp_path / "data").iterdir())
    assert len(stored) == 2
    assert all(path.stem == hashlib.sha256(path.read_bytes()).hexdigest() for path in stored)
    assert len(list((tmp_path / "data" / "train").glob("*.arrow"))) == 3  # 5 samples in shards of 2
    splits = load_splits(tmp_path / "data")
    assert (len(splits["train"]), len(splits["eval"])) == (5, 1)
    assert {digest for row in splits["train"] for digest in row["images"]} == {path.stem for path in stored}
    assert not (tmp_path / "data" / ".staging").exists()


def save_trajectories(run, store: Store, count: int) -> None:
    """`count` shared copies of the recorded run, each with its own noisy screenshots (incompressible, like real
    ones: what a build that held every sample would pile up)."""
    original = Store(run.store_path)
    for number in range(count):
        trajectory = run.trajectory.model_copy(deep=True)
        trajectory.id = f"shared-{number}"
        trajectory.task = trajectory.user_turns[0].text = f"Find the answer, take {number}"
        trajectory.provenance = Provenance(source="cli")
        trajectory.consent = Consent(shared=True)
        screenshots = {}
        for step in trajectory.steps:
            size = Image.open(io.BytesIO(original.read_screenshot(step.screenshot))).size
            noise = png_bytes(Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)))
            step.screenshot = hashlib.sha256(noise).hexdigest()
            screenshots[step.screenshot] = noise
        store.save(trajectory, screenshots)


def build(run, folder: Path, trajectories: int) -> Store:
    store = Store(folder / "farol.db")
    save_trajectories(run, store, trajectories)
    return store


def peak_memory(store: Store, out: Path) -> int:
    tracemalloc.start()
    try:
        build_dataset([store], out, BuildOptions(eval_fraction=0))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_build_data_memory_stays_flat_as_samples_grow(recorded_run, tmp_path):
    small, large = build(recorded_run, tmp_path / "small", 2), build(recorded_run, tmp_path / "large", 8)
    build_dataset([small], tmp_path / "warm-up", BuildOptions(eval_fraction=0))  # first-use imports and caches
    small_peak, large_peak = peak_memory(small, tmp_path / "small-data"), peak_memory(large, tmp_path / "large-data")
    # Holding every sample (screenshots included) would make the large build's peak about 4x the small one's.
    assert large_peak < 1.3 * small_peak, (small_peak, large_peak)
    assert len(load_splits(tmp_path / "large-data")["train"]) == 4 * len(load_splits(tmp_path / "small-data")["train"])


@pytest.mark.unit
def test_the_llamafactory_export_states_its_settings_and_leaves_no_cache(tmp_path):
    write_dataset(tmp_path / "data")
    before = sorted(path.relative_to(tmp_path / "data") for path in (tmp_path / "data").rglob("*"))
    assert export_llamafactory(tmp_path / "data", tmp_path / "lf") == {"train": 5, "eval": 1}
    written = sorted(str(path.relative_to(tmp_path / "lf")) for path in (tmp_path / "lf").rglob("*"))
    expected = ["dataset_info.json", "farol_eval.json", "farol_sft.yaml", "farol_train.json", "images"]
    assert [name for name in written if not name.startswith("images/")] == expected  # no cache, nothing else
    assert sorted(path.relative_to(tmp_path / "data") for path in (tmp_path / "data").rglob("*")) == before

    settings = yaml.safe_load((tmp_path / "lf" / "farol_sft.yaml").read_text())
    longest = max(load_splits(tmp_path / "data")["train"]["length"])
    assert settings["mask_history"] is True and settings["template"] == "qwen2_vl"
    assert settings["cutoff_len"] >= longest and settings["image_max_pixels"] == 560 * 336  # the larger screenshot
    assert (settings["dataset"], settings["eval_dataset"]) == ("farol_train", "farol_eval")
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    assert settings["dataset_dir"] == str((tmp_path / "lf").resolve()) and set(info) == {"farol_train", "farol_eval"}
    examples = json.loads((tmp_path / "lf" / "farol_train.json").read_text())
    assert len(examples) == 5 and all((tmp_path / "lf" / path).exists() for ex in examples for path in ex["images"])
    assert examples[0]["messages"] == [
        {"role": "user", "content": "<image>step 0"},
        {"role": "assistant", "content": "Reply 0."},
    ]
