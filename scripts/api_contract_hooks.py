"""Schemathesis hooks for scripts/api-contract: besides the generated data
(which may already hold NUL bytes: --generation-allow-x00), every case in
turn gets one hostile string where PostgreSQL or a JSON parser could choke:
a NUL in a JSON string, a lone surrogate ("\\ud800") in a JSON string, a NUL
in a query parameter, or a NUL in a path parameter. The server must answer
them with a 4xx the document declares (422 on the field, 400, 404), never a
500; the run's checks say so.

Lone surrogates go only into JSON bodies: Python's json.dumps writes them as
\\ud800 escapes, while URLs cannot carry them (they are not UTF-8). They are
put into the request's bytes in `before_call` rather than into the case:
schemathesis re-checks a changed case against the schema, and its validator
cannot encode a surrogate."""
import json
import itertools

import schemathesis

NUL = "\x00"
SURROGATE = "\ud800"
_turn = itertools.count()
_call = itertools.count()


def _inject(value, text):
    """`value` with `text` appended to its first string; `None` when it has none."""
    if isinstance(value, str):
        return value + text
    if isinstance(value, dict):
        for key, item in value.items():
            changed = _inject(item, text)
            if changed is not None:
                return {**value, key: changed}
    if isinstance(value, list):
        for i, item in enumerate(value):
            changed = _inject(item, text)
            if changed is not None:
                return value[:i] + [changed] + value[i + 1 :]
    return None


def _inject_param(params, text):
    if not params:
        return None
    key = sorted(params)[0]
    value = params[key]
    return {**params, key: (value if isinstance(value, str) else str(value)) + text}


@schemathesis.hook
def map_case(context, case):
    turn = next(_turn) % 5
    is_json = (case.media_type or "").endswith("json")
    if turn == 1 and is_json:
        case.body = _inject(case.body, NUL) or case.body
    elif turn == 3:
        case.query = _inject_param(case.query, NUL) or case.query
    elif turn == 4:
        case.path_parameters = _inject_param(case.path_parameters, NUL) or case.path_parameters
    return case


@schemathesis.hook
def before_call(context, case, kwargs):
    if next(_call) % 4 != 2 or not (case.media_type or "").endswith("json"):
        return
    body = _inject(case.body, SURROGATE)
    if body is not None:
        kwargs["data"] = json.dumps(body).encode()
