# Regime R2 of benchmarks/README.md ("crossover"): R1's CNN branch
# (configs/fashion_mnist) at 1/8 of its width, base 2 channels (a 16-d
# embedding), chosen on the val split (benchmarks/README.md, R2) so that the
# CNN leads early and the transformer, R1's unchanged, ends stronger (the
# paper's Fig. 2). Merged into the model of each R1 config.
thin_cnn = dict(
    backbone=dict(base_channels=2, stem_channels=2), head=dict(in_channels=16))
