"""``acllite serve``: the demo classifier (or any model with AIPP and batch gears) on Ray Serve, one replica per NPU.

* :mod:`.model`: the served model (the demo model with AIPP and batch gears, prepared once per host);
* :mod:`.engine`: one replica's device work without Ray (DVPP decode and resize, batches through the gears);
* :mod:`.app`: the Ray Serve deployment (HTTP routes, request batching) and the application builder for
  ``serve run`` / ``serve deploy`` (``acllite.tools.serve.app:build_app``);
* :mod:`.cli`: the ``acllite serve`` command.

Ray is an optional extra (``pip install 'acllite[serve]'``): only :mod:`.app` and :mod:`.cli` import it.
docs/SERVING.md has the whole story.
"""
