"""Worker-process isolation: results come back intact, a crash or a hang becomes a BackendError that
names the backend, and MPI variables never reach the simulator's process."""

from __future__ import annotations

import faulthandler
import os
import signal

import numpy as np
import pytest

from conftest import SPECS
from snnrun.adapters.base import Adapter, Capabilities, RunOutput
from snnrun.adapters.reference.adapter import ReferenceAdapter
from snnrun.instance import instantiate
from snnrun.schema.errors import BackendError
from snnrun.schema.loader import load_spec
from snnrun.worker import run_isolated, strip_mpi_environment


class _Mock(Adapter):
    name = "mock"
    capabilities = Capabilities(models=frozenset(), stimuli=frozenset())

    def __init__(self, behaviour):
        self.behaviour = behaviour

    def run(self, instance, progress=None):
        if self.behaviour in ("segfault", "exit"):
            faulthandler.disable()  # a deliberate crash: pytest's fault dump would read like a real one
        if self.behaviour == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if self.behaviour == "exit":
            os._exit(3)
        if self.behaviour == "raise":
            raise ZeroDivisionError("simulator exploded")
        if self.behaviour == "hang":
            import time
            time.sleep(60)
        if self.behaviour == "env":
            return RunOutput({"env": (np.array([len([k for k in os.environ if k.startswith("OMPI_")])]),
                                      np.array([0.0]))})
        for k in range(0, 101, 10):
            progress(k, 100)
        return RunOutput({"p": (np.arange(3), np.array([0.1, 0.2, 0.3]))})


@pytest.fixture(scope="module")
def instance():
    return instantiate(load_spec(SPECS / "fi_curve.yaml"))


def test_results_and_progress_come_back(instance):
    seen = []
    out = run_isolated(_Mock("ok"), instance, lambda d, t: seen.append((d, t)))
    np.testing.assert_array_equal(out.spikes["p"][1], [0.1, 0.2, 0.3])
    assert seen and seen[-1] == (100, 100)


def test_reference_in_a_worker_equals_in_process(instance):
    a = ReferenceAdapter().run(instance)
    b = run_isolated(ReferenceAdapter(), instance)
    for name in a.spikes:
        np.testing.assert_array_equal(a.spikes[name][0], b.spikes[name][0])
        np.testing.assert_array_equal(a.spikes[name][1], b.spikes[name][1])


@pytest.mark.parametrize("behaviour,message", [
    ("segfault", "killed by SIGSEGV"),
    ("exit", "exited with code 3"),
    ("raise", "ZeroDivisionError: simulator exploded"),
])
def test_a_crashing_worker_becomes_a_backend_error(instance, behaviour, message):
    with pytest.raises(BackendError, match=message) as info:
        run_isolated(_Mock(behaviour), instance)
    assert "backend 'mock'" in str(info.value)


def test_timeout(instance):
    with pytest.raises(BackendError, match="timed out after 0.5 s"):
        run_isolated(_Mock("hang"), instance, timeout=0.5)


def test_mpi_variables_are_stripped_in_the_worker(instance, monkeypatch):
    monkeypatch.setenv("OMPI_COMM_WORLD_RANK", "0")
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    out = run_isolated(_Mock("env"), instance)
    assert out.spikes["env"][0][0] == 0
    assert os.environ["OMPI_COMM_WORLD_RANK"] == "0"  # the parent keeps its environment
    env = {"PMI_RANK": "1", "PMIX_RANK": "1", "HOME": "/root"}
    assert sorted(strip_mpi_environment(env)) == ["PMIX_RANK", "PMI_RANK"] and env == {"HOME": "/root"}
