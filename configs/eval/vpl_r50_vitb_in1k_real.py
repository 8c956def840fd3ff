# Both branches of the headline pair on ImageNet val, with ImageNet-ReaL
# labels (Table 2-8, "Real" columns) besides the original ones:
#   tools/test.py configs/eval/vpl_r50_vitb_in1k_real.py CHECKPOINT
# Needs data/imagenet/real.json (from the ReaL authors) next to the usual
# ImageNet val set.
_base_ = ['../vpl_r50_vitb_in1k.py']
test_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=[
        dict(type='Accuracy', topk=(1, 5)),
        dict(
            type='RealAccuracy',
            real_json='data/imagenet/real.json',
            topk=(1, 5)),
    ])
