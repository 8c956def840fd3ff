# The two branches of every pair model, by the names the configs give them
# (``cnn=``, ``trans=``), the PLM's sides and the metric prefixes use.
BRANCHES = ('cnn', 'trans')
