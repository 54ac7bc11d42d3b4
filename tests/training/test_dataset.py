"""`farol train build-data`: what enters a dataset (consent, verification, a right outcome, never a held-out
task), the split, weights, exports, and no train/serve skew."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
from pathlib import Path

from datasets import load_from_disk

from agent.hf_policy import TransformersPolicy
from agent.history import data_url_bytes, split_images
from agent.store import Store
from agent.trajectory import Approval, Consent, Provenance
from sandbox.taskspec import load_suite
from training.collator import Collator
from training.dataset import CONTAMINATED, BuildOptions, build_dataset
from training.llamafactory import export_llamafactory
from training.samples import step_samples

FAROL = Path(sys.executable).parent / "farol"


def copy_of(
    run,
    store: Store,
    *,
    task: str,
    source: str,
    shared: bool = False,
    kept: float | None = None,
    status: str = "success",
):
    """The recorded run again, as another trajectory of the given kind, saved with its screenshots."""
    original = Store(run.store_path)
    trajectory = run.trajectory.model_copy(deep=True)
    trajectory.id = f"{source}-{task}".replace(" ", "-")
    trajectory.task = trajectory.user_turns[0].text = task
    trajectory.provenance = Provenance(source=source)
    trajectory.consent = Consent(shared=shared)
    trajectory.terminate_status = status
    if kept is not None:
        trajectory.verifier_scores = {"kept": kept}
    store.save(trajectory, {step.screenshot: original.read_screenshot(step.screenshot) for step in trajectory.steps})
    return trajectory


def test_a_sample_is_the_request_that_was_sent(recorded_run, tiny_model):
    """No train/serve skew: each sample rebuilt from the store is what the model got at that step, to the token."""
    store = Store(recorded_run.store_path)
    samples = list(step_samples(store.load(recorded_run.trajectory.id), store.read_screenshot, "cli"))
    assert [sample.step for sample in samples] == [0, 1, 2]
    policy = TransformersPolicy(tiny_model)
    collator = Collator(policy.processor)
    for sample, request, step in zip(samples, recorded_run.requests, recorded_run.trajectory.steps, strict=True):
        assert (sample.conversation, sample.images) == split_images(request["messages"], decode=data_url_bytes)
        assert sample.target == step.raw_text
        row = {"messages": json.dumps(sample.conversation), "images": [{"bytes": png} for png in sample.images]}
        encoded = collator.encode({**row, "target": sample.target})
        prompt_length = int((encoded["labels"] == -100).sum())
        sent = policy.encode(request["messages"])["input_ids"][0]
        assert encoded["input_ids"][:prompt_length].tolist() == sent.tolist()


def test_only_shared_verified_successful_trajectories_enter_and_leave_when_withdrawn(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    shared = copy_of(recorded_run, store, task="shared task", source="cli", shared=True)
    copy_of(recorded_run, store, task="private task", source="extension", shared=False)
    kept = copy_of(recorded_run, store, task="kept task", source="datagen", kept=1.0)
    copy_of(recorded_run, store, task="rejected task", source="datagen", kept=0.0)
    copy_of(recorded_run, store, task="failed task", source="extension", shared=True, status="failure")
    copy_of(recorded_run, store, task="eval task", source="eval")

    manifest = build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    trained = load_from_disk(str(tmp_path / "data"))["train"]
    assert sorted(set(trained["trajectory_id"])) == sorted([shared.id, kept.id])
    assert manifest.trajectories == {"cli": 1, "datagen": 1}
    assert manifest.samples == {"train": {"cli": 3, "datagen": 3}, "eval": {}}
    assert manifest.left_out == {
        "not shared by the person": 1,
        "not kept by the verifiers": 1,
        "no right outcome (neither answered, nor stopped at a critical point, nor approved and completed)": 1,
        "source eval not selected": 1,
    }
    assert json.loads((tmp_path / "data" / "manifest.json").read_text())["trajectories"] == manifest.trajectories

    trajectory = store.load(shared.id)
    trajectory.consent = Consent(shared=False)  # the person takes the share back
    store.save_header(trajectory)
    store.delete(kept.id)
    shutil.rmtree(tmp_path / "data")
    copy_of(recorded_run, store, task="another kept task", source="datagen", kept=1.0)
    build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    assert set(load_from_disk(str(tmp_path / "data"))["train"]["trajectory_id"]) == {"datagen-another-kept-task"}


def test_a_declined_critical_point_is_trained_on_up_to_its_stop_and_detours_never(recorded_run, tmp_path):
    """A run that stopped where the user declined is a right outcome: its samples end with the stop. A detour
    step is left out; the recovery after it stays."""
    store = Store(tmp_path / "farol.db")
    declined = copy_of(recorded_run, store, task="declined task", source="datagen", kept=1.0)
    stop = declined.steps[-1]
    declined.status, declined.outcome = "stopped", "stopped_at_critical_point"
    declined.approvals = [Approval(step=stop.index, kind="critical_point", reason="a critical point", decision="deny")]
    declined.steps[0].detour = True
    store.save(declined, {step.screenshot: store.read_screenshot(step.screenshot) for step in declined.steps})
    person = copy_of(recorded_run, store, task="a person declined", source="cli", shared=True)
    person.status, person.approvals = "stopped", declined.approvals  # no recorded kind: read from how it ended
    store.save_header(person)

    manifest = build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    trained = load_from_disk(str(tmp_path / "data"))["train"]
    steps = [step for tid, step in zip(trained["trajectory_id"], trained["step"], strict=True) if tid == declined.id]
    assert steps == [1, 2]  # the detour (step 0) is left out
    last = [row for row in trained if row["trajectory_id"] == declined.id][-1]
    assert last["target"] == stop.raw_text and "terminate" in last["target"]
    assert manifest.outcomes == {"stopped_at_critical_point": 2}
    assert manifest.left_out["detour step (a deliberate wrong turn, never trained on)"] == 1


def test_a_held_out_task_is_refused_for_contamination(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    eval_task = load_suite()[0].task  # the sandbox's eval split
    copy_of(recorded_run, store, task=eval_task, source="datagen", kept=1.0)
    copy_of(recorded_run, store, task="a training task", source="datagen", kept=1.0)
    manifest = build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    assert set(load_from_disk(str(tmp_path / "data"))["train"]["task"]) == {"a training task"}
    assert manifest.contaminated == 3 and manifest.left_out[CONTAMINATED] == 3
    assert manifest.trajectories == {"datagen": 1}


def test_a_task_is_in_train_or_eval_never_both_and_weights_repeat_a_source(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    for number in range(12):
        copy_of(recorded_run, store, task=f"task number {number}", source="datagen", kept=1.0)
    copy_of(recorded_run, store, task="task number 0", source="cli", shared=True)  # the same task from a person
    options = BuildOptions(eval_fraction=0.5, weights={"cli": 2.0})
    manifest = build_dataset([store], tmp_path / "data", options)
    splits = load_from_disk(str(tmp_path / "data"))
    train_tasks, eval_tasks = set(splits["train"]["task"]), set(splits["eval"]["task"])
    assert train_tasks and eval_tasks and not train_tasks & eval_tasks
    cli_split = "train" if "task number 0" in train_tasks else "eval"
    assert manifest.samples[cli_split]["cli"] == 6  # 3 samples, weight 2


def test_equal_samples_count_once(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    copy_of(recorded_run, store, task="same", source="cli", shared=True)
    copy_of(recorded_run, store, task="same", source="extension", shared=True)
    manifest = build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    assert sum(manifest.samples["train"].values()) == 3 and manifest.left_out["duplicate sample"] == 3


def test_llamafactory_export(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    copy_of(recorded_run, store, task="shared task", source="cli", shared=True)
    build_dataset([store], tmp_path / "data", BuildOptions(eval_fraction=0))
    assert export_llamafactory(tmp_path / "data", tmp_path / "lf") == {"train": 3}
    info = json.loads((tmp_path / "lf" / "dataset_info.json").read_text())
    assert info["farol_train"]["formatting"] == "sharegpt"
    examples = json.loads((tmp_path / "lf" / "farol_train.json").read_text())
    for example in examples:
        roles = [message["role"] for message in example["messages"]]
        assert roles[0] == "user" and roles[-1] == "assistant"
        assert all(a != b for a, b in itertools.pairwise(roles))  # alternating, as LLaMA-Factory wants
        tags = sum(message["content"].count("<image>") for message in example["messages"])
        assert tags == len(example["images"]) and all((tmp_path / "lf" / path).exists() for path in example["images"])
        assert example["system"].startswith("You are a helpful assistant")
    assert examples[-1]["messages"][-1]["content"].startswith("The answer is 42.")


def test_the_cli_says_why_nothing_was_built(recorded_run, tmp_path):
    store = Store(tmp_path / "farol.db")
    copy_of(recorded_run, store, task="private task", source="extension", shared=False)
    result = subprocess.run(
        [str(FAROL), "train", "build-data", "--db", str(tmp_path / "farol.db"), "--out", str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1 and "nothing to train on" in result.stderr and "not shared" in result.stderr
    copy_of(recorded_run, store, task="shared task", source="extension", shared=True)
    result = subprocess.run(
        [
            str(FAROL),
            "train",
            "build-data",
            "--db",
            str(tmp_path / "farol.db"),
            "--out",
            str(tmp_path / "data"),
            "--weight",
            "extension=2",
            "--eval-fraction",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "extension" in result.stdout and "6" in result.stdout and "not shared by the person" in result.stdout
