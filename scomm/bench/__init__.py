"""Benchmarks of the fingerprint engine (``scomm bench ...``).

* :mod:`scomm.bench.fvc`: the FVC protocol on one or more folders, with an
  optional peer engine on the same pairs;
* :mod:`scomm.bench.nbis_peer`: NIST NBIS (MINDTCT + BOZORTH3) as that peer,
  from the optional ``bench`` extra (the only module that imports ``nbis``);
* :mod:`scomm.bench.synth_realism`: synthetic prints vs SFinGe's;
* :mod:`scomm.bench.cli`: the Typer sub-app ``bench_app``.

Modules are imported on demand: importing this package imports nothing else.
"""
