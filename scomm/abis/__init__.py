"""The identification service (an ABIS): one engine holds the CJIS and IDENT galleries for
every API server and worker, behind an interface modelled on the OSIA/MOSIP ABIS API
(identify, verify, insert, ping, pending jobs).

``engine``: the interface and the in-process engine (the embedded default);
``galleries``: the galleries kept in step with the database, and their files;
``shards``: the galleries in shards on Ray actors; ``wire``: the JSON form;
``client``: the hub's steps calling a served engine (``api/engine.py`` serves it).
"""
from .engine import (
                     GALLERIES,
                     Engine,
                     GalleryState,
                     Identification,
                     Job,
                     LocalEngine,
                     Probe,
                     SearchIncomplete,
                     UnknownReference,
                     Verification,
)

__all__ = ["GALLERIES", "Engine", "GalleryState", "Identification", "Job", "LocalEngine", "Probe",
           "SearchIncomplete", "UnknownReference", "Verification"]
