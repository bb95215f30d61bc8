"""Parameters shared by the routers, with the bounds the database and the domain accept."""
from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query

# Printable text: no control characters (they cannot be stored, nor shown safely).
TEXT = r"^[^\x00-\x1f\x7f]*$"

Ref = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[ -~]+$",
                          description="TCN (as sent in 1.009) or transaction id")]
ActorHeader = Annotated[str, Header(alias="X-Actor", min_length=1, max_length=80,
                                    pattern=TEXT.replace("*", "+"),
                                    description="who makes the change (audited)")]
Filename = Annotated[str | None, Query(max_length=255, pattern=TEXT,
                                       description="the file's name, kept with it")]
