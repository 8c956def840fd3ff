from pathlib import Path
from setuptools import find_packages, setup

HERE = Path(__file__).parent


def read_requirements(name):
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [
        ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')
    ]


version = {}
exec((HERE / 'vpl_mm' / 'version.py').read_text(), version)

setup(
    name='vpl_mm',
    version=version['__version__'],
    description='Vision Pair Learning (VPL) for MMPretrain: train a CNN and '
    'a transformer together',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vpl_mm', 'vpl_mm.*']),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(
        deploy=read_requirements('deploy.txt'),
        timm=read_requirements('optional.txt'),
        benchmarks=read_requirements('benchmarks.txt'),
        tensorboard=read_requirements('tensorboard.txt'),
        tests=['pytest', 'scikit-learn'] + read_requirements('deploy.txt') +
        read_requirements('optional.txt') +
        read_requirements('benchmarks.txt') +
        read_requirements('tensorboard.txt')),
    license='Apache License 2.0',
)
