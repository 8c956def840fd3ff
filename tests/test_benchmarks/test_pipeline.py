import pytest
import torch

from benchmarks import pipeline, speed


def test_projected_epoch_ratio_takes_the_longer_of_loading_and_model():
    # per image: loading 1/400 s; CNN 1/800 s, ViT 1/400 s on the GPU
    # solos: max(2.5, 1.25) + max(2.5, 2.5) = 5 ms; pair: max(2.5, 3.75)
    assert pipeline.project_epoch_ratio(400, 800, 400) == pytest.approx(0.75)
    # loading fast enough for both: the pair costs the two solos' sum
    assert pipeline.project_epoch_ratio(1e9, 800, 400) == pytest.approx(1.0)
    # loading binds all three runs: one loading pass instead of two
    assert pipeline.project_epoch_ratio(100, 800, 400) == pytest.approx(0.5)


def test_photo_folder_is_real_jpegs_at_imagenet_size(tmp_path):
    from PIL import Image
    root = pipeline.make_photo_folder(str(tmp_path), 6, num_classes=3)
    files = sorted(tmp_path.glob('class_*/*.JPEG'))
    assert len(files) == 6 and len({f.parent.name for f in files}) == 3
    images = [Image.open(f) for f in files]
    assert all(im.format == 'JPEG' and im.mode == 'RGB' for im in images)
    assert sorted(im.size
                  for im in images) == [(375, 500)] * 2 + [(500, 375)] * 4
    pixels = {im.tobytes()[:4096] for im in images}
    assert len(pixels) == 6  # every file a different crop
    mtimes = [f.stat().st_mtime_ns for f in files]
    pipeline.make_photo_folder(root, 6, num_classes=3)  # kept, not rewritten
    assert [f.stat().st_mtime_ns for f in files] == mtimes


def test_pipeline_gives_each_run_its_own_loader_of_the_paper_pipeline(
        tmp_path, monkeypatch):
    seen = {}

    class Model:  # records what each run's train steps receive

        def __init__(self, name):
            self.name = name

        def train_step(self, data, wrapper):
            seen.setdefault(self.name,
                            []).append([(image.dtype, tuple(image.shape))
                                        for image in data['inputs']])

    def build(config, device):
        name = next(k for k, c in speed.SETTINGS['r50_vitb'][2].items()
                    if c == config)
        return Model(name), None

    monkeypatch.setattr(speed, 'build', build)
    args = pipeline.parse_args([
        '--photo-root',
        str(tmp_path), '--pipeline-batch', '2', '--pipeline-batches', '2',
        '--workers', '0', '--epoch-rounds', '1'
    ])
    result = pipeline.pipeline_times(args)
    # 1 warm-up + 1 timed epoch of 2 batches of 2 RandomResizedCrop'd images
    batch = [(torch.uint8, (3, 224, 224))] * 2
    assert seen == {name: [batch] * 4 for name in ('pair', 'cnn', 'trans')}
    assert len(list(tmp_path.glob('class_*/*.JPEG'))) == 8
    epochs = result['epoch_s']
    assert result['epoch_pair_vs_solos'] == epochs['pair'] / (
        epochs['cnn'] + epochs['trans'])
    assert set(result['loader_img_s']) == {0}
    text = pipeline.pipeline_report(result)
    per_worker = result['loader_img_s'][0]
    for g in pipeline.GPU_THROUGHPUTS.values():
        assert f'{pipeline.project_epoch_ratio(per_worker, g["cnn"], g["trans"]):.3f}' in text  # noqa: E501
