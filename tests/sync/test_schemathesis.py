"""schemathesis against the real HQ process: requests generated from sync/openapi.json
get no 5xx, and no reply breaks the document (status, content type, headers, schema).

CI-sized: ``KASSA_SCHEMATHESIS_EXAMPLES`` requests per operation (default 40), seeded
with ``KASSA_FUZZ_SEED``; both are printed in the report header (tests/fuzz.py).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sync.hq.server import OPENAPI_PATH
from tests import fuzz
from tests.hqproc import HqProcess

pytestmark = [pytest.mark.e2e, pytest.mark.both_backends]  # HQ on SQLite and PostgreSQL

# The credential is the test's own (every request carries T1's): without the document's
# security, no case is "invalid" for lacking the header the test then adds.
SCHEMA = schemathesis.openapi.from_dict(
    {k: v for k, v in json.loads(OPENAPI_PATH.read_text()).items() if k != "security"}
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
AUTH = {"Authorization": "Bearer T1:demo"}
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations()]
# Every operation with the document's shapes; those that take input with shapes broken too.
RUNS = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op, GenerationMode.NEGATIVE) for op in OPERATIONS if "terminal_id" in op.label
]


def sent_as_generated(case: Any) -> bool:
    """Whether the request on the wire is the case: a query value of null or [] is not
    sent at all, so a case "invalid" for its extra parameter would arrive valid."""
    return all(v is not None and v != [] for v in (case.query or {}).values())


def as_t1(case: Any, ours: bool) -> Any:
    """Half the cases are the demo terminal T1's own (its credential matches the path),
    so they reach past authentication into HQ's checks."""
    if ours and "terminal_id" in (case.path_parameters or {}):
        case.path_parameters["terminal_id"] = "T1"
    return case


@pytest.mark.parametrize(
    ("operation", "mode"), RUNS, ids=[f"{op.label} {mode.value}" for op, mode in RUNS]
)
def test_hq_answers_generated_requests_as_its_document_says(
    hq: HqProcess, operation: Any, mode: GenerationMode
) -> None:
    """Requests of the document's shapes, and (negative) requests that break them, which
    HQ must refuse with a 4xx."""
    print(f"schemathesis: {fuzz.API_EXAMPLES} cases, seed {fuzz.SEED}")
    strategy = operation.as_strategy(generation_mode=mode)
    cases = st.tuples(strategy.filter(sent_as_generated), st.booleans()).map(lambda x: as_t1(*x))
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @seed(fuzz.SEED)
    @settings(
        max_examples=fuzz.API_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=hq.url, headers=AUTH, checks=checks, timeout=30)

    run()
