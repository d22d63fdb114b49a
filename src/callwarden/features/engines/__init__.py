"""Feature engines other than the embedded one, each a back-end of ``features/spec.py``.

``spark`` (needs ``pip install 'callwarden[spark]'`` and a Java runtime) runs the same
signals, windows and detectors on Apache Spark; :mod:`.spark_session` checks for both and says
how to install what is missing. Nothing here is imported by the base package.
"""
