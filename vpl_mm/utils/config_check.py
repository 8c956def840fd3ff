"""Config keys that cannot work, named before anything is built.

Our tools run these on the merged config (``--cfg-options`` included):

- :func:`check_component_args`: a key that one of vpl_mm's components does
  not take (a typo such as ``temprature``) is refused with its full key and
  the arguments the component takes, where MMEngine would stop inside the
  build with ``__init__() got an unexpected keyword argument``;
- :func:`ignored_options`: a ``--cfg-options`` key at the top level that
  the Runner never reads (e.g. ``max_epochs``: a variable the config used
  while it was loaded) changes nothing; said in a warning, with the keys of
  that name that the Runner does read (``train_cfg.max_epochs``).
"""
import difflib
import functools
import inspect
import re
from typing import Dict, Iterator, List, Optional, Set, Tuple

import torch.nn as nn
from mmengine.config import Config

from .errors import ConfigError

PACKAGE = 'vpl_mm'
# keys of a component's config dict that are not arguments of the class
# (MMEngine's config merge, its registry and Runner.register_hook take
# them off)
BUILD_KEYS = {'type', '_scope_', '_delete_'}
_NAMED = (inspect.Parameter.POSITIONAL_OR_KEYWORD,
          inspect.Parameter.KEYWORD_ONLY)


def accepted_args(cls: type) -> Optional[Set[str]]:
    """The keyword arguments that building ``cls`` accepts, or None where
    a ``**kwargs`` reaches a class outside vpl_mm (not known here).

    >>> import torch.nn as nn
    >>> class Loss(nn.Module):
    ...     def __init__(self, temperature=1.0, loss_weight=1.0):
    ...         super().__init__()
    >>> sorted(accepted_args(Loss))
    ['loss_weight', 'temperature']
    """
    names = set()
    for klass in cls.__mro__:
        if klass in (object, nn.Module):  # take no config keys
            return names
        init = klass.__dict__.get('__init__')
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {p.name for p in params if p.kind in _NAMED} - {'self'}
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
        if not klass.__module__.startswith(PACKAGE):
            return None
    return None


@functools.lru_cache(maxsize=None)
def _our_classes() -> Dict[str, type]:
    """vpl_mm's registered classes by name, in all of MMPretrain's
    registries (what a config's ``type`` names)."""
    import mmpretrain.registry as registries

    import vpl_mm  # noqa: F401  (registration)
    classes = {}
    for name in registries.__all__:
        for key, cls in getattr(registries, name).module_dict.items():
            if getattr(cls, '__module__', '').startswith(PACKAGE + '.'):
                classes[key] = cls
    return classes


def _component(node: dict) -> Optional[type]:
    kind = node.get('type')
    if isinstance(kind, type):
        return kind if kind.__module__.startswith(PACKAGE + '.') else None
    if isinstance(kind, str):
        return _our_classes().get(kind.split('.')[-1])
    return None


def _walk(node, path: str) -> Iterator[Tuple[str, object]]:
    """Every (key path, value) below ``node``, depth first."""
    items = (
        node.items() if isinstance(node, dict) else
        enumerate(node) if isinstance(node, (list, tuple)) else ())
    for key, value in items:
        sub = f'{path}.{key}' if path else str(key)
        yield sub, value
        yield from _walk(value, sub)


def with_term_tables(node):
    """``node`` (a config's dicts and lists, copied) with the ``terms`` of
    each :class:`PairLearningHead` as the table they make: merged into the
    paper's table (:meth:`PairLearningHead.table`), so that a term that a
    config changes field by field (``terms.cl.loss.temperature``) has its
    loss's ``type``, and each term typed :class:`PairTerm`, whose arguments
    its keys are.

    >>> node = with_term_tables(dict(type='PairLearningHead', terms=dict(
    ...     cl=dict(loss=dict(temperature=0.2)), kl=None)))
    >>> list(node['terms']), node['terms']['cl']['loss']['type']
    (['cl'], 'PairContrastiveLoss')
    """
    if isinstance(node, (list, tuple)):
        return [with_term_tables(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {key: with_term_tables(value) for key, value in node.items()}
    from vpl_mm.models.heads import PairLearningHead, PairTerm
    cls = _component(node)
    if cls is None or not issubclass(cls, PairLearningHead):
        return node
    try:
        table = cls.table(node.get('terms'))
    except Exception:  # a table that cannot merge: the build names it
        return node
    node['terms'] = {
        name: dict(term, type=PairTerm)
        for name, term in table.items()
    }
    return node


def check_component_args(cfg: Config) -> None:
    """Refuse a key that a vpl_mm component of ``cfg`` does not take, in
    the top-level keys that the Runner reads (:func:`runner_keys`); the
    terms of a :class:`PairLearningHead` as its table merges them
    (:func:`with_term_tables`).

    Args:
        cfg (Config): The merged config.

    Raises:
        ConfigError: e.g. ``model.pair_head.terms.cl.loss.temprature:
            PairContrastiveLoss takes no `temprature` (did you mean
            `temperature`?); it takes ...``.
    """
    from mmengine.hooks import Hook
    from mmengine.optim import OptimWrapper

    # what Runner.register_hook and the optim wrapper's constructor take off
    builder_keys = {
        Hook: {'priority'},
        OptimWrapper: {'paramwise_cfg', 'constructor'}
    }
    read = with_term_tables({
        k: v
        for k, v in cfg.items() if k in runner_keys()
    })
    for path, node in _walk(read, ''):
        if not isinstance(node, dict):
            continue
        cls = _component(node)
        allowed = accepted_args(cls) if cls is not None else None
        if allowed is None:
            continue
        skip = set(BUILD_KEYS)
        for base, keys in builder_keys.items():
            if issubclass(cls, base):
                skip |= keys
        for key in node:
            if key in allowed or key in skip:
                continue
            near = difflib.get_close_matches(key, allowed, n=1)
            hint = f' (did you mean `{near[0]}`?)' if near else ''
            raise ConfigError(f'{path}.{key}: {cls.__name__} takes no '
                              f'`{key}`{hint}; it takes '
                              f'{", ".join(sorted(allowed))}')


@functools.lru_cache(maxsize=None)
def runner_keys() -> Set[str]:
    """The top-level config keys that MMEngine's Runners and MMPretrain's
    ``tools/train.py`` / ``test.py`` read (from their source, so that an
    upgrade that reads a new key is followed)."""
    from mmengine.runner import FlexibleRunner, Runner

    from .launch import load_mmpretrain_tool
    sources = [inspect.getsource(Runner), inspect.getsource(FlexibleRunner)]
    sources += [
        inspect.getsource(load_mmpretrain_tool(name))
        for name in ('train', 'test')
    ]
    patterns = (r"cfg\.get\(\s*'(\w+)'", r"cfg\[\s*'(\w+)'\s*\]",
                r'cfg\.(\w+)', r"'(\w+)' (?:not )?in (?:self\.)?cfg")
    keys = {'custom_imports'}  # read by Config.fromfile
    for source in sources:
        for pattern in patterns:
            keys.update(re.findall(pattern, source))
    return keys


def ignored_options(cfg: Config, options: Optional[dict]) -> List[str]:
    """Warnings for the ``--cfg-options`` keys that change nothing.

    Args:
        cfg (Config): The merged config.
        options (dict, optional): ``--cfg-options`` as MMEngine parsed them
            (``{'a.b.c': value}``).

    Returns:
        list[str]: One line per key whose top level the Runner does not
        read, naming the keys of the same name that it does read.
    """
    warnings = []
    for key in options or {}:
        top, last = key.split('.')[0], key.split('.')[-1]
        if top in runner_keys():
            continue
        same_name = [
            path for path, _ in _walk(cfg._cfg_dict.to_dict(), '')
            if path.split('.')[-1] == last and path.split('.')[0] != top
            and path.split('.')[0] in runner_keys()
        ]
        hint = f': set {" or ".join(same_name[:3])}' if same_name else ''
        warnings.append(
            f'--cfg-options {key}=... changes nothing: the Runner does not '
            f'read a top-level `{top}` (a config variable is used only '
            f'while the config is loaded){hint}')
    return warnings
