"""schemathesis against a real `kassa agent` process (with a real HQ): requests generated
from ui/api/openapi.json get no 5xx, and no reply breaks the document; requests that break
its shapes are refused with a 4xx.

CI-sized: ``KASSA_SCHEMATHESIS_EXAMPLES`` requests per operation (default 40), seeded with
``KASSA_FUZZ_SEED`` (tests/fuzz.py). The scan stream is left out: a generated request
holds it open for its ``timeout_s``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import fuzz
from tests.agentproc import POS_TOKEN, AgentProcess, start_agent
from tests.conftest import ROOT
from tests.hqproc import HqProcess, free_port
from ui.api.app import OPENAPI_PATH

pytestmark = pytest.mark.e2e

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
AUTH = {"Authorization": f"Bearer {POS_TOKEN}"}
OPERATIONS = [op.ok() for op in SCHEMA.get_all_operations() if "/v1/scans" not in op.ok().label]
TAKES_INPUT = ("POST", "{receipt_id}")
RUNS = [(op, GenerationMode.POSITIVE) for op in OPERATIONS] + [
    (op, GenerationMode.NEGATIVE) for op in OPERATIONS if any(x in op.label for x in TAKES_INPUT)
]


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    tmp: Path = tmp_path_factory.mktemp("agent-fuzz")
    hq = HqProcess(tmp / "hq.db", free_port(), dict(os.environ, PYTHONPATH=str(ROOT)))
    hq.start()
    proc = start_agent(tmp, hq)
    yield proc
    proc.stop()
    hq.kill()
    assert "Traceback" not in proc.logs(), proc.logs()


def sent_as_generated(case: Any) -> bool:
    """A query value of null or [] is not sent at all, so a case "invalid" for it would
    arrive valid."""
    return all(v is not None and v != [] for v in (case.query or {}).values())


@pytest.mark.parametrize(
    ("operation", "mode"), RUNS, ids=[f"{op.label} {mode.value}" for op, mode in RUNS]
)
def test_the_agent_answers_generated_requests_as_its_document_says(
    agent: AgentProcess, operation: Any, mode: GenerationMode
) -> None:
    print(f"schemathesis: {fuzz.API_EXAMPLES} cases, seed {fuzz.SEED}")
    strategy = operation.as_strategy(generation_mode=mode)
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @seed(fuzz.SEED)
    @settings(
        max_examples=fuzz.API_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy.filter(sent_as_generated))
    def run(case: Any) -> None:
        case.call_and_validate(base_url=agent.url, headers=AUTH, checks=checks, timeout=30)

    run()
