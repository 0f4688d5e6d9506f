"""The platform's per-step cost against a bare PyTorch loop, as a ratio.

Both train the same LSTM (torch's fused ``nn.LSTM`` plus a linear head) on the same adding
data (whole batches from the task's generator) with the same optimizer (Adam, lr 1e-3). The
platform run is ``seqlab.run.runner.train`` at default settings: Lightning, validation every 100
steps on 512 sequences, the MLflow recorder, every measurement (gradient flow included) and
the progress bar (drawn into memory). A third row, Lightning's loop alone with no callbacks,
logger or validation, shows where the cost hides.

Per-step cost = (time of a long run - time of a short run) / (difference in steps), runs
interleaved, median of the repeats. Run: ``.venv/bin/python benchmarks/overhead.py``
(``--quick`` for fewer repeats).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from timing import captured_output, machine, median, per_step_costs, throwaway_store


@dataclass(frozen=True)
class Setting:
    """One experiment size, its run lengths and the ratio it must stay under."""

    name: str
    hidden: int
    length: int
    batch: int
    short: int
    long: int
    limit: float


SETTINGS = (
    Setting("typical", hidden=128, length=100, batch=64, short=100, long=300, limit=1.05),
    Setting("tiny", hidden=64, length=50, batch=32, short=100, long=500, limit=1.25),
)


def bare_loop(setting: Setting, steps: int) -> None:
    """Train with a plain PyTorch loop."""
    from seqlab_plugins.tasks.adding import AddingTask

    torch.manual_seed(0)
    task = AddingTask(setting.length)
    lstm = torch.nn.LSTM(task.input_size, setting.hidden, batch_first=True)
    head = torch.nn.Linear(setting.hidden, task.output_size)
    optimizer = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)
    generator = torch.Generator().manual_seed(0)
    for _ in range(steps):
        batch = task.sample(setting.batch, generator)
        outputs, _ = lstm(batch["x"])
        loss = torch.nn.functional.mse_loss(head(outputs[:, -1]), batch["y"])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def lightning_loop(setting: Setting, steps: int) -> None:
    """Train with Lightning alone: no logger, callbacks, validation or progress bar."""
    import pytorch_lightning as pl
    from torch.utils.data import DataLoader, IterableDataset

    from seqlab_plugins.tasks.adding import AddingTask

    task = AddingTask(setting.length)

    class Batches(IterableDataset):
        def __iter__(self):  # type: ignore[no-untyped-def]
            generator = torch.Generator().manual_seed(0)
            while True:
                yield task.sample(setting.batch, generator)

    class System(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.lstm = torch.nn.LSTM(task.input_size, setting.hidden, batch_first=True)
            self.head = torch.nn.Linear(setting.hidden, task.output_size)

        def training_step(self, batch, batch_idx):  # type: ignore[no-untyped-def]
            outputs, _ = self.lstm(batch["x"])
            return torch.nn.functional.mse_loss(self.head(outputs[:, -1]), batch["y"])

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    trainer = pl.Trainer(
        max_steps=steps, accelerator="cpu", logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(System(), DataLoader(Batches(), batch_size=None))


def platform_run(setting: Setting, steps: int, overrides: Sequence[str] = ()) -> None:
    """Train with ``seqlab.run.runner.train`` at default settings (but ``overrides``), progress
    bar on."""
    from seqlab.registry.components import build_registry
    from seqlab.run.runner import train
    from seqlab.spec import load_spec

    registry = build_registry()
    spec = load_spec(
        [
            "model=lstm", "task=adding", "strategy=bptt", f"model.hidden_size={setting.hidden}",
            f"task.length={setting.length}", f"trainer.batch_size={setting.batch}",
            f"trainer.max_steps={steps}", "trainer.accelerator=cpu", *overrides,
        ],
        None,
        registry,
    )
    with captured_output():
        train(spec, registry, progress=True)


def add_setting_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every per-step benchmark takes: which settings, how many torch threads."""
    parser.add_argument("--setting", choices=[s.name for s in SETTINGS], action="append")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")


def measured_settings(args: argparse.Namespace) -> Iterator[Setting]:
    """Apply ``--threads``, print the machine, warm up imports and a throwaway store, then
    yield the settings ``--setting`` chose (all by default) inside that store."""
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"machine: {machine()}")
    with throwaway_store():
        platform_run(SETTINGS[1], 2)  # warm up imports and the store
        for setting in SETTINGS:
            if not args.setting or setting.name in args.setting:
                yield setting
    print(f"machine after: {machine()}")


def main() -> None:
    """Print per-step costs and ratios for each setting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 repeats")
    add_setting_arguments(parser)
    args = parser.parse_args()
    repeats = 3 if args.quick else args.repeats
    from pytorch_lightning.utilities import disable_possible_user_warnings

    disable_possible_user_warnings()
    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    for setting in measured_settings(args):
        costs = per_step_costs(
            {
                "bare": lambda steps, s=setting: bare_loop(s, steps),
                "lightning": lambda steps, s=setting: lightning_loop(s, steps),
                "platform": lambda steps, s=setting: platform_run(s, steps),
            },
            setting.short, setting.long, repeats,
        )
        bare = median(costs["bare"])
        print(
            f"{setting.name}: hidden {setting.hidden}, length {setting.length}, batch "
            f"{setting.batch}; steps {setting.short} vs {setting.long}, {repeats} repeats"
        )
        for name, values in costs.items():
            ratio = median(values) / bare
            spread = ", ".join(f"{v * 1000:.2f}" for v in values)
            verdict = ""
            if name == "platform":
                verdict = f"  (limit {setting.limit:.2f}x: {'ok' if ratio <= setting.limit else 'OVER'})"
            print(f"  {name:<9} {median(values) * 1000:7.2f} ms/step  {ratio:5.3f}x  [{spread}]{verdict}")


if __name__ == "__main__":
    main()
