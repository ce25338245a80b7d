"""tlhelpers.machine: what every results file records about where it was made."""

import os

import torch

from tlhelpers.machine import cpu_name, machine_info


def test_machine_info_names_versions_cpu_and_threads():
    info = machine_info()
    assert {"python", "torch", "torchvision", "numpy", "platform", "cpu", "cpu_count", "torch_threads"} == set(info)
    assert info["torch"] == torch.__version__ and info["torch_threads"] == torch.get_num_threads()
    assert info["cpu_count"] == os.cpu_count() and info["cpu"] == cpu_name() and info["cpu"]
