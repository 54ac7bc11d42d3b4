"""The SFT entry point for the `deepspeed` launcher, which starts it once per GPU (or CPU rank):

    deepspeed --num_gpus 8 --module training.run --config sft.toml [--resume last] [--merge]

Each rank runs the same `training.sft.train`; the launcher sets the ranks and adds `--local_rank`, ignored here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from training.sft import SFTConfig, resume_from, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--resume", help="'last' or a checkpoint folder")
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--report-to", choices=["none", "tensorboard", "wandb"])
    parser.add_argument("--merge", action="store_true", help="LoRA: also write the merged model to output_dir/merged")
    arguments, _ = parser.parse_known_args()  # the launcher's --local_rank
    settings = SFTConfig.load(arguments.config, max_steps=arguments.max_steps, report_to=arguments.report_to)
    train(settings, resume=resume_from(arguments.resume), merge=arguments.merge)


if __name__ == "__main__":
    main()
