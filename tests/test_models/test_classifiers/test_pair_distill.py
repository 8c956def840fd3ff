"""The "DIS" baseline: one branch frozen as teacher (paper Table 4)."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401


@pytest.fixture
def teacher_ckpt(tiny_trans_cfg, tmp_path):
    """A solo transformer checkpoint, as a solo baseline run writes."""
    torch.manual_seed(1)
    solo = MODELS.build(tiny_trans_cfg)
    solo.init_weights()
    path = str(tmp_path / 'solo_trans.pth')
    torch.save(dict(meta=dict(epoch=300), state_dict=solo.state_dict()), path)
    return path, solo.state_dict()


def dis_head(teacher, ckpt, teacher_mode='eval'):
    """The paper's two terms, both from a frozen ``teacher`` branch."""
    student = 'cnn' if teacher == 'trans' else 'trans'
    paper = MODELS.get('PairLearningHead').PAPER_TERMS
    return dict(
        teacher_checkpoint=ckpt,
        teacher_mode=teacher_mode,
        terms={
            name: dict(term, learner=student, source='teacher')
            for name, term in paper.items()
        })


def build_dis(pair_cfg, ckpt, teacher='trans', **kwargs):
    model = MODELS.build(
        dict(pair_cfg, pair_head=dis_head(teacher, ckpt, **kwargs)))
    model.init_weights()
    return model


def test_teacher_is_loaded_frozen_and_in_eval(pair_cfg, teacher_ckpt):
    path, state = teacher_ckpt
    model = build_dis(pair_cfg, path)
    for k, v in model.trans.state_dict().items():
        assert torch.equal(v, state[k])
    assert not any(p.requires_grad for p in model.trans.parameters())
    assert all(p.requires_grad for p in model.cnn.parameters())
    model.train()
    assert model.cnn.training and not model.trans.training
    assert not any(m.training for m in model.trans.modules())


def test_training_steps_leave_teacher_untouched(pair_cfg, teacher_ckpt, batch):
    path, state = teacher_ckpt
    model = build_dis(pair_cfg, path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        optim = build_optim_wrapper(
            model,
            dict(
                optimizer=dict(type='AdamW', lr=1e-2, weight_decay=0.05),
                paramwise_cfg=dict(custom_keys={'cnn.': dict(lr_mult=2.5)})))
    in_optimizer = {
        id(p)
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    assert not any(id(p) in in_optimizer for p in model.trans.parameters())
    assert all(id(p) in in_optimizer for p in model.cnn.parameters())

    cnn_before = copy.deepcopy(model.cnn.state_dict())
    inputs, samples = batch
    model.train()
    for _ in range(3):
        losses = model(inputs, samples, mode='loss')
        assert 'loss_trans' not in losses
        assert {'loss_cnn', 'loss_cl', 'loss_kl'} <= set(losses)
        optim.update_params(sum(losses.values()))
    # bit-identical teacher (weights and BN-free ViT buffers alike)
    for k, v in model.trans.state_dict().items():
        assert torch.equal(v, state[k]), k
    assert not torch.equal(cnn_before['head.fc.weight'],
                           model.cnn.state_dict()['head.fc.weight'])


def test_teacher_mode_train_keeps_batch_statistics(pair_cfg, tiny_cnn_cfg,
                                                   tmp_path):
    # the control of a live partner's targets: BatchNorm in train mode
    path = str(tmp_path / 'cnn.pth')
    torch.save(dict(state_dict=MODELS.build(tiny_cnn_cfg).state_dict()), path)
    model = build_dis(pair_cfg, path, teacher='cnn', teacher_mode='train')
    model.train()
    assert model.cnn.training and model.trans.training
    assert not any(p.requires_grad for p in model.cnn.parameters())
    model.eval()
    assert not model.cnn.training
    with pytest.raises(ValueError, match='`teacher_mode` must be one of'):
        build_dis(pair_cfg, path, teacher_mode='frozen')


def test_teacher_errors(pair_cfg, tmp_path, tiny_cnn_cfg):
    with pytest.raises(ValueError, match='go together'):
        build_dis(pair_cfg, None)
    # a checkpoint of another model is refused when loading
    wrong = str(tmp_path / 'wrong.pth')
    torch.save(dict(state_dict=MODELS.build(tiny_cnn_cfg).state_dict()), wrong)
    model = MODELS.build(dict(pair_cfg, pair_head=dis_head('trans', wrong)))
    with pytest.raises(RuntimeError, match='state_dict'):
        model.init_weights()


def kl_reference(p_logits, q_logits):
    """KL(softmax(p_logits) || softmax(q_logits)), batch mean, by hand."""
    p = p_logits.double().softmax(1)
    return (p * (p.log() - q_logits.double().log_softmax(1))).sum(1).mean()


@pytest.mark.parametrize('teacher,student', [('cnn', 'trans'),
                                             ('trans', 'cnn')])
def test_student_kl_targets_the_teacher(pair_cfg, tiny_cnn_cfg, tiny_trans_cfg,
                                        tmp_path, batch, teacher, student):
    """Distillation minimises KL(p_teacher || p_student) whichever branch
    teaches; for a CNN teacher that is the reverse of eq. 6."""
    torch.manual_seed(1)
    solo = MODELS.build(dict(cnn=tiny_cnn_cfg, trans=tiny_trans_cfg)[teacher])
    path = str(tmp_path / 'teacher.pth')
    torch.save(dict(state_dict=solo.state_dict()), path)
    model = build_dis(pair_cfg, path, teacher=teacher)
    assert model.pair_head.teacher == teacher
    model.train()
    inputs, samples = batch
    loss_kl = model(inputs, samples, mode='loss')['loss_kl']
    with torch.no_grad():
        z = {name: model.embed(name, inputs)[1] for name in ('cnn', 'trans')}
    torch.testing.assert_close(loss_kl.double(),
                               kl_reference(z[teacher], z[student]))
    # and it is not the reverse KL (the two differ for these logits)
    assert not torch.allclose(loss_kl.double(),
                              kl_reference(z[student], z[teacher]))
    # the student learns from it
    loss_kl.backward()
    assert model._branch_fc(student).weight.grad.abs().sum() > 0
