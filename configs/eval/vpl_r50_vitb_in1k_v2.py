# Both branches of the headline pair on ImageNetV2 matched-frequency
# (Table 2-8, "V2" columns):
#   tools/test.py configs/eval/vpl_r50_vitb_in1k_v2.py CHECKPOINT
# Layout: data/imagenetv2/imagenetv2-matched-frequency-format-val/<0..999>/
# plus data/imagenetv2/meta/matched_frequency.txt written by
# tools/dataset_converters/imagenetv2_ann.py.
_base_ = ['../vpl_r50_vitb_in1k.py']
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ImageNet',
        data_root='data/imagenetv2',
        data_prefix='imagenetv2-matched-frequency-format-val',
        ann_file='meta/matched_frequency.txt',
        pipeline={{_base_.test_pipeline}}))
