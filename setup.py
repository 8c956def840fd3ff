import os
import shutil
import sys
from pathlib import Path
from setuptools import find_packages, setup

HERE = Path(__file__).parent
# What mim and MMEngine's `vpl_mm::` config lookup read from the installed
# package, as OpenMMLab packages ship them: <package>/.mim/{configs,tools,...}
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def add_mim_files():
    """Put MIM_FILES under vpl_mm/.mim: copies for an sdist or a wheel,
    links to the checkout for an editable install (so edits show at once);
    nothing for other setup.py commands (e.g. pip's metadata step)."""
    if {'develop', 'editable_wheel'} & set(sys.argv):
        link = True
    elif {'sdist', 'bdist_wheel', 'build', 'build_py'} & set(sys.argv):
        link = False
    else:
        return
    mim = HERE / 'vpl_mm' / '.mim'
    mim.mkdir(exist_ok=True)
    for name in MIM_FILES:
        src, dst = HERE / name, mim / name
        if dst.is_symlink() or dst.is_file():
            dst.unlink()
        elif dst.is_dir():
            shutil.rmtree(dst)
        if link:
            os.symlink(os.path.relpath(src, mim), dst)
        elif src.is_dir():
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


def read_requirements(name):
    lines = (HERE / 'requirements' / name).read_text().splitlines()
    return [
        ln.strip() for ln in lines if ln.strip() and not ln.startswith('#')
    ]


version = {}
exec((HERE / 'vpl_mm' / 'version.py').read_text(), version)

add_mim_files()
setup(
    name='vpl_mm',
    version=version['__version__'],
    description='Vision Pair Learning (VPL) for MMPretrain: train a CNN and '
    'a transformer together',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    packages=find_packages(include=['vpl_mm', 'vpl_mm.*']),
    include_package_data=True,  # vpl_mm/.mim, listed in MANIFEST.in
    entry_points=dict(console_scripts=[
        'vpl-train = vpl_mm.cli:train',
        'vpl-test = vpl_mm.cli:test',
        'vpl-extract = vpl_mm.cli:extract',
        'vpl-data = vpl_mm.cli:data',
    ]),
    python_requires='>=3.8',
    install_requires=read_requirements('runtime.txt'),
    extras_require=dict(
        pinned=read_requirements('pinned.txt'),
        deploy=read_requirements('deploy.txt'),
        timm=read_requirements('optional.txt'),
        benchmarks=read_requirements('benchmarks.txt'),
        tensorboard=read_requirements('tensorboard.txt'),
        docs=read_requirements('docs.txt'),
        mim=read_requirements('mim.txt'),
        tests=['pytest'] + read_requirements('deploy.txt') +
        read_requirements('optional.txt') +
        read_requirements('benchmarks.txt') +
        read_requirements('tensorboard.txt')),
    license='Apache License 2.0',
)
