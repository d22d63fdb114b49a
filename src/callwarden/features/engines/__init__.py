"""Feature engines behind one contract (:mod:`.base`): ``compiled`` (in process) and ``spark``.

Each engine is a package that only the registry (:func:`.base.load_engine`) imports; the
``spark`` one needs ``pip install 'callwarden[spark]'`` and a Java runtime, and says so.
"""
