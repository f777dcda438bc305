"""Demo assets: the models and data behind the examples (see :mod:`acllite.demo.efficientnet`)."""
