import logging
import os
import os.path as osp
import random
import signal
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.distributed as dist
from mmengine.dist import get_rank, get_world_size, is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import MMLogger, print_log
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS
from torch.utils.data import BatchSampler

from vpl_mm.utils.atomic import atomic_write


class Preempted(SystemExit):
    """The run stopped on a signal, its iteration saved: exit status
    128 + the signal's number, as a shell reports a process that signal
    ended (143 for SIGTERM, 138 for SIGUSR1)."""


def _flush_logs() -> None:
    """Write out what the loggers and the standard streams hold."""
    for handler in logging.getLogger(
    ).handlers + MMLogger.get_current_instance().handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()


def rng_states() -> Dict[str, Any]:
    """This process's Python, NumPy and torch (CPU, CUDA) random states, as
    tensors and plain values (what a weights-only checkpoint may hold)."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    states = dict(
        python=random.getstate(),
        numpy=(kind, torch.from_numpy(keys.astype(np.int64)), pos, has_gauss,
               gauss),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states['cuda'] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: Dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned."""
    version, internal, gauss = states['python']
    random.setstate((version, tuple(internal), gauss))
    kind, keys, pos, has_gauss, gauss = states['numpy']
    np.random.set_state(
        (kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    torch.set_rng_state(states['torch'])
    if 'cuda' in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states['cuda'])


class SkipFirst:
    """A sampler that leaves out the first ``skip`` indices of ``sampler``,
    then calls ``on_start()`` (once the sampler drew what it draws at the
    start of an epoch) and yields the rest.

    Other attributes (``set_epoch``, ``seed`` ...) are the sampler's.

    >>> sampler = SkipFirst(range(6), 4, on_start=lambda: None)
    >>> list(sampler), len(sampler)
    ([4, 5], 2)
    """

    def __init__(self, sampler, skip: int, on_start: Callable[[],
                                                              None]) -> None:
        self.sampler = sampler
        self.skip = skip
        self.on_start = on_start

    def __iter__(self):
        indices = iter(self.sampler)
        for _ in range(self.skip):
            next(indices, None)
        self.on_start()
        yield from indices

    def __len__(self) -> int:
        return max(len(self.sampler) - self.skip, 0)

    def __getattr__(self, name: str):
        return getattr(self.sampler, name)


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Save the iteration in flight and stop on SIGTERM / SIGUSR1; resume
    from there, in the middle of an epoch.

    Slurm (SIGTERM at preemption or at the time limit; any signal
    ``--signal`` asks for, e.g. ``USR1@120``) and torchrun (SIGTERM to its
    workers) ask a job to stop, wait a grace period, then kill it. With this
    hook (every config of ours: ``default_hooks.preemption``) the run, on
    one of ``signals``:

    1. finishes the iteration in flight (and its hooks: EMA, schedulers);
    2. lets all ranks agree: each rank reports whether it got a signal (one
       all-reduce of one number every ``interval`` iterations, on a gloo
       group), so all stop after the same iteration, whichever rank got it;
    3. saves that iteration's checkpoint (``iter_<n>.pth``, rank 0 writes,
       through the run's checkpoint hook: its folder, its file backend, so
       atomically with :class:`SafeCheckpointHook`), with every rank's
       random states, then points ``last_checkpoint`` at it (atomically);
    4. exits with status 128 + the signal's number (:class:`Preempted`:
       143 for SIGTERM, 138 for SIGUSR1), so that a batch script can tell
       a preemption from a failure (README, "Preemption").

    A second signal while saving is ignored (the save completes); one
    that comes before the save starts ends the process as the signal would
    without this hook (the previous checkpoint stays whole). The handlers
    are installed for the training loop only (``before_train`` to
    ``after_train``), in the main thread; after a training loop that ended
    on an error (no ``after_train``), a first signal is only noted, a
    second one is passed on.

    On ``--resume``, a checkpoint taken in the middle of an epoch continues
    that epoch (MMEngine's ``EpochBasedTrainLoop`` restarts it from its
    first batch): the sampler skips the batches done (samplers batched by
    torch's ``BatchSampler``), and each rank's random generators continue
    where they stopped, once the sampler drew its epoch's order. With
    ``randomness.deterministic=True`` on CPU and ``num_workers=0``, the
    resumed run ends with the weights of an uninterrupted one (with worker
    processes, the data order is the same, the random augmentations of the
    rest of that epoch are other draws). ``IterBasedTrainLoop``: MMEngine's
    own resume re-fetches the batches done (:class:`ReseedHook` makes it
    exact).

    Args:
        signals (Sequence[str]): The signals that stop the run. Defaults to
            ``('SIGTERM', 'SIGUSR1')``.
        interval (int): Look for a signal every ``interval`` iterations (a
            signal then waits up to that many iterations). Defaults to 1.
    """

    priority = 'LOWEST'  # after_train_iter: after every other hook's work

    def __init__(self,
                 signals: Sequence[str] = ('SIGTERM', 'SIGUSR1'),
                 interval: int = 1) -> None:
        self.signals = [signal.Signals[name] for name in signals]
        if interval < 1:
            raise ValueError(f'{type(self).__name__}: `interval` must be '
                             f'>= 1, got {interval}')
        self.interval = interval
        self.received: Optional[int] = None
        self.saving = False
        self._previous: Dict[signal.Signals, Any] = {}
        self._group = None
        self._rng: Optional[Dict[str, Any]] = None
        self._resumed: Optional[dict] = None
        self._sampler = None

    # -- the signal --------------------------------------------------------

    def _on_signal(self, signum: int, frame) -> None:
        if self.saving:
            return
        if self.received is not None:  # a second signal: as without us
            self._restore_handlers()
            signal.raise_signal(signum)
            return
        self.received = signum

    def _restore_handlers(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def before_train(self, runner) -> None:
        if dist.is_available() and dist.is_initialized() and (get_world_size()
                                                              > 1):
            # the agreement needs a CPU group: a NCCL group would make every
            # iteration wait for the GPU
            self._group = (None if dist.get_backend() == 'gloo' else
                           dist.new_group(backend='gloo'))
        try:
            for sig in self.signals:
                self._previous[sig] = signal.signal(sig, self._on_signal)
        except ValueError:  # not the main thread
            self._restore_handlers()
            print_log(
                f'{type(self).__name__}: not in the main thread, no signal '
                'handlers: a signal ends the run as it would without it',
                logger='current',
                level=logging.WARNING)

    def after_train(self, runner) -> None:
        self._restore_handlers()

    def _agreed_signal(self) -> int:
        """The signal any rank received (0: none), the same on all."""
        flag = torch.tensor([self.received or 0], dtype=torch.int64)
        if get_world_size() > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX, group=self._group)
        return int(flag.item())

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        if (runner.iter + 1) % self.interval:
            return
        signum = self._agreed_signal()
        if not signum:
            return
        self.saving = True
        # what the next batch would draw from (the agreement drew nothing)
        states = rng_states()
        self.received = self.received or signum
        name = signal.Signals(signum).name
        print_log(
            f'{name}: saving iteration {runner.iter + 1} and stopping',
            logger='current',
            level=logging.WARNING)
        path = self._save(runner, states)
        status = 128 + signum
        if get_world_size() > 1:
            # leaving now whatever comes (see below)
            for sig in self._previous:
                signal.signal(sig, signal.SIG_IGN)
            self._previous = {}
            dist.barrier(group=self._group)
        self._restore_handlers()
        print_log(
            f'{name}: saved {path}; exiting with status {status} '
            '(resume with --resume)',
            logger='current',
            level=logging.WARNING)
        if get_world_size() > 1:
            # a launcher (torchrun) stops the other ranks with SIGTERM as
            # soon as one exits, and Python's own shutdown (which gives the
            # signals their default action back) can outlast that: every
            # rank has passed the save, so each leaves now, with the status
            _flush_logs()
            os._exit(status)
        raise Preempted(status)

    def _save(self, runner, states: Dict[str, Any]) -> str:
        """Save the checkpoint of this iteration (all ranks take part, rank
        0 writes) with every rank's random states; point
        ``last_checkpoint`` at it. Returns its path."""
        gathered: List[Any] = [None] * get_world_size()
        if get_world_size() > 1:
            dist.all_gather_object(gathered, states, group=self._group)
        else:
            gathered = [states]
        self._rng = dict(world_size=get_world_size(), states=gathered)
        hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                    None)
        filename = f'iter_{runner.iter + 1}.pth'
        meta = dict(epoch=runner.epoch, iter=runner.iter + 1)
        if hook is None or getattr(hook, 'out_dir', None) is None:
            out_dir, backend_args, kwargs = runner.work_dir, dict(
                backend='atomic_local'), {}
            path = osp.join(out_dir, filename)
        else:
            out_dir, backend_args = hook.out_dir, hook.backend_args
            kwargs = dict(
                save_optimizer=hook.save_optimizer,
                save_param_scheduler=hook.save_param_scheduler,
                **hook.args)
            path = hook.file_backend.join_path(out_dir, filename)
        try:
            runner.save_checkpoint(
                out_dir,
                filename,
                meta=meta,
                by_epoch=False,
                backend_args=backend_args,
                **kwargs)
        finally:
            self._rng = None
        if is_main_process():
            atomic_write(
                osp.join(runner.work_dir, 'last_checkpoint'),
                lambda f: f.write(path.encode()))
        return path

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self._rng is not None:
            checkpoint['rng_states'] = self._rng

    # -- the resume ------------------------------------------------------

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner._resume:
            self._resumed = dict(
                epoch=checkpoint['meta']['epoch'],
                iter=checkpoint['meta']['iter'],
                rng=checkpoint.get('rng_states'))

    def before_train_epoch(self, runner) -> None:
        resumed, self._resumed = self._resumed, None
        if resumed is None or not isinstance(runner.train_loop,
                                             EpochBasedTrainLoop):
            return
        loader = runner.train_dataloader
        total = len(loader)
        done = resumed['iter'] - resumed['epoch'] * total
        if done <= 0 or runner.epoch != resumed['epoch']:
            return
        batches = loader.batch_sampler
        if not isinstance(batches, BatchSampler) or done > total:
            print_log(
                f'resuming in the middle of epoch {runner.epoch + 1}: '
                f'cannot skip {done} batches of a '
                f'{type(batches).__name__}; the epoch restarts',
                logger='current',
                level=logging.WARNING)
            return
        rng = resumed['rng']
        if rng is not None and rng['world_size'] != get_world_size():
            print_log(
                f'the checkpoint holds the random states of '
                f"{rng['world_size']} processes, not {get_world_size()}: "
                'the random draws of this epoch differ from the '
                'uninterrupted run',
                logger='current',
                level=logging.WARNING)
            rng = None
        states = None if rng is None else rng['states'][get_rank()]
        self._sampler = batches.sampler
        batches.sampler = SkipFirst(
            batches.sampler, done * batches.batch_size,
            lambda: states is not None and set_rng_states(states))
        print_log(
            f'resuming epoch {runner.epoch + 1} after its batch {done} of '
            f'{total}: the sampler skips the {done} done',
            logger='current')

    def after_train_epoch(self, runner) -> None:
        if self._sampler is not None:
            runner.train_dataloader.batch_sampler.sampler = self._sampler
            self._sampler = None
