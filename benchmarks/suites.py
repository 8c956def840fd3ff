"""The accuracy suites as tables: each method a config file, each claim a
paired difference; ``benchmarks/accuracy.py`` runs any of them.

A new experiment is a config and a table entry here. Every method trains
with ``tools/train.py`` on its config (``randomness.seed`` set per seed);
``teacher`` names the method whose final weights a distillation config
loads (``model.pair_head.teacher_checkpoint``), trained first.
"""
from typing import Callable, Dict, List, NamedTuple, Optional, Tuple

from .common import ensure_digits, ensure_fashion_mnist

# branch -> the prefix of its metrics in the run's scalars
PAIR = dict(cnn='cnn', trans='trans')
CNN = dict(cnn='')
TRANS = dict(trans='')
STUDENT = dict(trans='trans')  # the trained branch of a distillation pair
BRANCH_NAMES = dict(cnn='CNN', trans='transformer')


class Method(NamedTuple):
    config: str
    branches: Dict[str, str]
    teacher: Optional[str] = None


class Claim(NamedTuple):
    """``a − b`` of one branch's top-1, paired by seed."""
    a: str
    b: str
    branch: str

    @property
    def label(self) -> str:
        return f'{self.a} − {self.b} ({BRANCH_NAMES[self.branch]})'


class Suite(NamedTuple):
    data_root: str
    prepare: Callable[[str], None]
    # split -> what it is, as the summary names it
    splits: Dict[str, str]
    methods: Dict[str, Method]
    claims: List[Claim]


def claims(*rows: Tuple[str, str, str]) -> List[Claim]:
    """``(a, b, branches)`` rows, ``branches`` one of ``'cnn'``,
    ``'trans'`` or ``'both'``, as one claim per branch."""
    return [
        Claim(a, b, branch) for a, b, branches in rows
        for branch in (('trans',
                        'cnn') if branches == 'both' else (branches, ))
    ]


def vs_solo(*methods: str) -> List[tuple]:
    """Each pair method's branches against the solo runs."""
    return [
        row for m in methods
        for row in ((m, 'solo_trans', 'trans'), (m, 'solo_cnn', 'cnn'))
    ]


DEMO = 'configs/demo/'
FMNIST = 'configs/fashion_mnist/'
CROSSOVER = 'configs/fashion_mnist_crossover/'
DIGITS = Suite(
    data_root='data/digits',
    prepare=ensure_digits,
    splits=dict(val='digits val split (360 real images)'),
    methods=dict(
        solo_cnn=Method(DEMO + 'solo_cnn_tiny_digits.py', CNN),
        solo_trans=Method(DEMO + 'solo_trans_tiny_digits.py', TRANS),
        vpl=Method(DEMO + 'vpl_tiny_digits.py', PAIR),
        vpl_plm=Method(DEMO + 'vpl_tiny_digits_plm.py', PAIR),
        dml=Method(DEMO + 'dml_tiny_digits.py', PAIR),
        dis=Method(DEMO + 'dis_tiny_digits.py', STUDENT, teacher='solo_cnn'),
        vpl_x0y0=Method(DEMO + 'vpl_tiny_digits_x0y0.py', PAIR),
        vpl_bi=Method(DEMO + 'vpl_tiny_digits_bi.py', PAIR),
        vpl_paper=Method(DEMO + 'vpl_tiny_digits_paper.py', PAIR),
    ),
    # vpl: the shipped form (round five's winner); vpl_plm: the demo's PLM,
    # which the records before round five call vpl, and its ablations
    claims=claims(*vs_solo('vpl', 'vpl_plm', 'dml'),
                  ('vpl', 'vpl_plm', 'both'), ('vpl_plm', 'dml', 'both'),
                  ('vpl_plm', 'dis', 'trans'), ('vpl_plm', 'vpl_x0y0', 'both'),
                  ('vpl_plm', 'vpl_bi', 'both'),
                  ('vpl_plm', 'vpl_paper', 'both')))


def fashion_mnist_methods(root: str, **extra: Method) -> Dict[str, Method]:
    """The methods every Fashion-MNIST suite has, their configs under
    ``root`` (each suite's tree has the same file names; the transformer
    branch is R1's in every suite, so its solo run is R1's)."""
    return dict(
        solo_cnn=Method(root + 'solo_cnn_tiny_fmnist.py', CNN),
        solo_trans=Method(FMNIST + 'solo_trans_tiny_fmnist.py', TRANS),
        vpl=Method(root + 'vpl_tiny_fmnist.py', PAIR),
        vpl_gate=Method(root + 'vpl_tiny_fmnist_gate.py', PAIR),
        vpl_tau1=Method(root + 'vpl_tiny_fmnist_tau1.py', PAIR),
        vpl_feat2=Method(root + 'vpl_tiny_fmnist_feat2.py', PAIR),
        **extra)


FMNIST_SPLITS = dict(
    val='val split (the last 5,000 training images)',
    test='official test split (10,000 images)')
# candidates of "the pair that pays" (benchmarks/README.md), each against
# the solo branches and against vpl_gate (the shipped pair until round five)
CANDIDATES = ('vpl_kd', 'vpl_kdgate', 'vpl_hard', 'vpl_feat', 'vpl_featkd',
              'vpl_mlp', 'vpl_feat2')
# rounds three and four: dis_feat2's terms in the pair (the CNN learns from
# its labels only)
ONE_WAY = ('vpl_oneway', 'vpl_oneway4', 'vpl_oneway_x0y0')
# round five ("the pair that beats distillation"): vpl_oneway with mechanisms
# of online distillation, each against vpl_oneway and the two-run route
ROUND5 = ('vpl_oneway_ema', 'vpl_oneway_ema_slow', 'vpl_oneway_ramp',
          'vpl_oneway_ema_ramp', 'vpl_oneway_featdecay', 'vpl_oneway_dist',
          'vpl_oneway_ema_all')
# round six: the shipped pair (round five's winner) with DeiT's distillation
# token, against that pair
ROUND6 = ('vpl_disttoken', )
FASHION_MNIST = Suite(
    data_root='data/fashion_mnist',
    prepare=ensure_fashion_mnist,
    splits=FMNIST_SPLITS,
    methods=fashion_mnist_methods(
        FMNIST,
        vpl_nogate=Method(FMNIST + 'vpl_tiny_fmnist_nogate.py', PAIR),
        vpl_excl=Method(FMNIST + 'vpl_tiny_fmnist_excl.py', PAIR),
        vpl_x0y0=Method(FMNIST + 'vpl_tiny_fmnist_x0y0.py', PAIR),
        vpl_bi=Method(FMNIST + 'vpl_tiny_fmnist_bi.py', PAIR),
        dml=Method(FMNIST + 'dml_tiny_fmnist.py', PAIR),
        dis=Method(FMNIST + 'dis_tiny_fmnist.py', STUDENT, teacher='solo_cnn'),
        dis_gate=Method(
            FMNIST + 'dis_tiny_fmnist_gate.py', STUDENT, teacher='solo_cnn'),
        dis_feat2=Method(
            FMNIST + 'dis_tiny_fmnist_feat2.py', STUDENT, teacher='solo_cnn'),
        dis_feat2_gate=Method(
            FMNIST + 'dis_tiny_fmnist_feat2_gate.py',
            STUDENT,
            teacher='solo_cnn'),
        dis_feat2_bntrain=Method(
            FMNIST + 'dis_tiny_fmnist_feat2_bntrain.py',
            STUDENT,
            teacher='solo_cnn'),
        **{
            name: Method(FMNIST + f'vpl_tiny_fmnist_{name[4:]}.py', PAIR)
            for name in CANDIDATES + ONE_WAY + ROUND5 + ROUND6
            if name != 'vpl_feat2'
        }),
    claims=claims(
        # round five's final set: the shipped pair (its winner) against
        # the solo runs, the two-run routes and the pairs before it
        *vs_solo('vpl'),
        ('vpl', 'dis', 'trans'),
        ('vpl', 'dis_feat2', 'trans'),
        ('vpl', 'vpl_oneway', 'trans'),
        ('vpl', 'vpl_gate', 'both'),
        ('vpl', 'vpl_tau1', 'both'),
        ('vpl', 'dml', 'both'),
        ('dis', 'dis_feat2', 'trans'),
        ('dis', 'solo_trans', 'trans'),
        # rounds one to four: the gated PLM (vpl_gate) and its candidates
        *vs_solo('vpl_gate'),
        ('vpl_gate', 'dml', 'both'),
        ('vpl_gate', 'dis_gate', 'trans'),
        ('vpl_gate', 'vpl_x0y0', 'both'),
        ('vpl_gate', 'vpl_bi', 'both'),
        ('vpl_gate', 'vpl_tau1', 'both'),
        ('vpl_gate', 'vpl_nogate', 'both'),
        *vs_solo('vpl_nogate'),
        ('vpl_excl', 'vpl_nogate', 'both'),
        *[
            row for name in CANDIDATES
            for row in vs_solo(name) + [(name, 'vpl_gate', 'trans')]
        ],
        *vs_solo('vpl_tau1', 'dml'),
        ('vpl_feat2', 'dml', 'both'),
        ('dis_feat2', 'solo_trans', 'trans'),
        ('dis_feat2_gate', 'dis_feat2', 'trans'),
        ('vpl_feat2', 'dis_feat2', 'trans'),
        ('vpl_feat2', 'dis_feat2_gate', 'trans'),
        *[
            row for name in ONE_WAY for row in vs_solo(name) +
            [(name, 'vpl_gate', 'trans'), (name, 'vpl_feat2', 'both'),
             (name, 'dis_feat2', 'trans')]
        ],
        ('vpl_oneway4', 'vpl_oneway', 'trans'),
        ('vpl_oneway_x0y0', 'vpl_oneway', 'trans'),
        *[
            row for name in ROUND5 for row in vs_solo(name) +
            [(name, 'vpl_oneway', 'trans'), (name, 'dis_feat2', 'trans')]
        ],
        ('dis_feat2_bntrain', 'dis_feat2', 'trans'),
        *vs_solo(*ROUND6),
        *[(name, 'vpl', 'trans') for name in ROUND6]))

# R2: a thinner CNN, so that the transformer ends stronger (README.md here)
FASHION_MNIST_CROSSOVER = Suite(
    data_root='data/fashion_mnist',
    prepare=ensure_fashion_mnist,
    splits=FMNIST_SPLITS,
    methods=fashion_mnist_methods(CROSSOVER),
    claims=claims(*vs_solo('vpl', 'vpl_gate', 'vpl_tau1', 'vpl_feat2'),
                  ('vpl', 'vpl_gate', 'both'), ('vpl', 'vpl_tau1', 'both'),
                  ('vpl_gate', 'vpl_tau1', 'both'),
                  ('vpl_feat2', 'vpl_gate', 'both')))

SUITES = dict(
    digits=DIGITS,
    fashion_mnist=FASHION_MNIST,
    fashion_mnist_crossover=FASHION_MNIST_CROSSOVER)
