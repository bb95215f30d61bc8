"""The error answers the API documents, shared by the routers (OpenAPI ``responses``).

Every 4xx and 5xx answer is JSON with a ``detail``: a sentence (``Detail``), or for
a parameter, header or body field that is not acceptable, one entry per problem
(``FieldProblems``: FastAPI's validation answer, and the request guard's for
control characters). Routes add what only they answer (404, 409, their own 422).
"""
from __future__ import annotations

from typing import Any, Union

from pydantic import BaseModel, ConfigDict, Field


class Detail(BaseModel):
    detail: str


class FieldProblem(BaseModel):
    model_config = ConfigDict(extra="allow")   # FastAPI adds "input", "ctx", "url"
    loc: list[Union[str, int]] = Field(description="where: path, query, header or body, "
                                                   "then the name")
    msg: str
    type: str


class FieldProblems(BaseModel):
    detail: list[FieldProblem]


Refusal = Union[FieldProblems, Detail]
Responses = dict[Union[int, str], dict[str, Any]]   # FastAPI's ``responses=``

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again",
                               "schema": {"type": "string"}}}

# Answered by any route: by the request guard (413, 422) and FastAPI's validation (422).
APP: Responses = {
    413: {"model": Detail, "description": "request body over the limit: refused, not stored"},
    422: {"model": Refusal, "description": "a parameter, header or body field is not "
          "acceptable (out of its bounds, a control character in the path or query, a value "
          "the domain or the database refuses): every problem named"},
}
# Answered by any route that reads or writes the database.
DATABASE: Responses = {
    503: {"model": Detail, "headers": RETRY_AFTER,
          "description": "the database is busy or unavailable: try again after Retry-After "
                         "seconds"},
}
# Answered by a route that writes, when the write conflicts with what is stored
# (``IntegrityError``, e.g. the same thing written twice at once); routes that conflict
# for reasons of their own say so instead.
WRITE: Responses = {
    409: {"model": Detail, "description": "conflicts with stored data (written at the same "
                                          "time by another request): try again"},
}


def not_found(what: str) -> Responses:
    return {404: {"model": Detail, "description": what}}


def conflict(what: str) -> Responses:
    return {409: {"model": Detail, "description": what}}
