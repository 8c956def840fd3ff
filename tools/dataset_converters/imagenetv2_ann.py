"""Write the annotation file that ImageNetV2 needs in MMPretrain.

ImageNetV2 (Recht et al. 2019) stores images in folders named by the
ImageNet class index (``0`` ... ``999``). A plain folder scan would number
the folders in sorted text order ('10' before '2'), so labels come from an
annotation file instead::

    python tools/dataset_converters/imagenetv2_ann.py \\
        data/imagenetv2/imagenetv2-matched-frequency-format-val \\
        --out data/imagenetv2/meta/matched_frequency.txt

Each line is ``<class folder>/<file> <class index>``.
"""
import argparse
import os
import os.path as osp

IMAGE_EXTENSIONS = ('.jpeg', '.jpg', '.png')


def write_annotations(image_root: str, out: str) -> int:
    """Write ``out`` for the class folders under ``image_root``.

    Returns:
        int: The number of images listed.
    """
    lines = []
    for folder in sorted(os.listdir(image_root), key=lambda n: (len(n), n)):
        path = osp.join(image_root, folder)
        if not osp.isdir(path):
            continue
        if not folder.isdigit() or not 0 <= int(folder) < 1000:
            raise ValueError(f'{path}: ImageNetV2 class folders are named '
                             '0 ... 999')
        for name in sorted(os.listdir(path)):
            if name.lower().endswith(IMAGE_EXTENSIONS):
                lines.append(f'{folder}/{name} {int(folder)}\n')
    if not lines:
        raise ValueError(f'no images found under {image_root}')
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        f.writelines(lines)
    return len(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('image_root', help='the folder of class folders')
    parser.add_argument('--out', required=True, help='annotation file')
    args = parser.parse_args(argv)
    count = write_annotations(args.image_root, args.out)
    print(f'wrote {count} images to {args.out}')


if __name__ == '__main__':
    main()
