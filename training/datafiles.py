"""A built dataset on disk: each screenshot stored once by its content, samples in shards that name them.

    images/<sha256>.png              each distinct screenshot once (steps share them, repeats cost nothing)
    train/, eval/, dataset_dict.json samples in `datasets`' save_to_disk layout, `images` = the digests

`DatasetWriter` streams: a sample's screenshots go to disk when it arrives and its row to an Arrow file that
is flushed every `shard_size` rows, so memory stays flat however many samples there are.
"""

from __future__ import annotations

import json
import math
import shutil
from collections import Counter
from pathlib import Path
from types import TracebackType
from typing import Self

from datasets import Dataset, DatasetDict, Features, Sequence, Value, load_from_disk
from datasets.arrow_writer import ArrowWriter

from agent.screenshot import digest_of
from training.samples import Sample

FEATURES = Features(
    {
        "id": Value("string"),
        "trajectory_id": Value("string"),
        "step": Value("int32"),
        "source": Value("string"),
        "task": Value("string"),
        "messages": Value("string"),  # the conversation as JSON, images as {"type": "image"}
        "images": Sequence(Value("string")),  # sha256 digests: images/<digest>.png, in conversation order
        "target": Value("string"),
        "length": Value("int32"),
    }
)
SHARD_SIZE = 1000  # samples per shard


def images_dir(dataset: Path) -> Path:
    return Path(dataset) / "images"


def load_splits(dataset: Path) -> DatasetDict:
    """The splits, memory-mapped (nothing is copied or cached next to them)."""
    return load_from_disk(str(dataset))


class DatasetWriter:
    """`with DatasetWriter(out) as writer: writer.add("train", sample)`; on error nothing but images is left."""

    def __init__(self, out: Path, shard_size: int = SHARD_SIZE) -> None:
        self.out = Path(out)
        self.shard_size = shard_size
        self.counts: Counter[str] = Counter()  # split -> samples written
        self._staging = self.out / ".staging"
        self._writers: dict[str, ArrowWriter] = {}
        self._stored: set[str] = set()  # digests already on disk
        images_dir(self.out).mkdir(parents=True, exist_ok=True)
        self._staging.mkdir(exist_ok=True)

    def add(self, split: str, sample: Sample) -> None:
        if split not in self._writers:
            path = self._staging / f"{split}.arrow"
            self._writers[split] = ArrowWriter(features=FEATURES, path=str(path), writer_batch_size=self.shard_size)
        self._writers[split].write(_row(sample, [self._store(png) for png in sample.images]))
        self.counts[split] += 1

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for writer in self._writers.values():
            writer.finalize()
        try:
            if kind is None:
                self._publish()
        finally:
            shutil.rmtree(self._staging, ignore_errors=True)

    def _store(self, png: bytes) -> str:
        digest = digest_of(png)
        if digest not in self._stored:
            path = images_dir(self.out) / f"{digest}.png"
            if not path.exists():
                path.write_bytes(png)
            self._stored.add(digest)
        return digest

    def _publish(self) -> None:
        """Staged rows -> shards of at most `shard_size` samples (an empty split is left out: `datasets` cannot
        read one back)."""
        splits = {name: Dataset.from_file(str(self._staging / f"{name}.arrow")) for name in self._writers}
        splits = {name: rows for name, rows in splits.items() if len(rows)}
        shards = {name: math.ceil(len(rows) / self.shard_size) for name, rows in splits.items()}
        DatasetDict(splits).save_to_disk(str(self.out), num_shards=shards)


def _row(sample: Sample, digests: list[str]) -> dict[str, object]:
    return {
        "id": sample.id,
        "trajectory_id": sample.trajectory_id,
        "step": sample.step,
        "source": sample.source,
        "task": sample.task,
        "messages": json.dumps(sample.conversation),
        "images": digests,
        "target": sample.target,
        "length": sample.length,
    }
