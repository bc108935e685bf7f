from __future__ import annotations

import pytest

from tests.helpers import sign_in_as


@pytest.fixture
def nurse(client, actors):
    sign_in_as(client, actors.nurse_a)
    return client


@pytest.fixture
def patient(client, actors):
    sign_in_as(client, actors.patient_a)
    return client
