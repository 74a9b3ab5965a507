"""The notebook page's kernel (verified/kernel.py): a real IPython kernel, forked from the server that imported torch."""

from __future__ import annotations

import os

import pytest
from jupyter_client.manager import start_new_kernel
from jupyter_client.provisioning import KernelProvisionerFactory

from verified import kernel


def _run(client, code: str) -> str:  # type: ignore[no-untyped-def]
    printed = []
    client.execute_interactive(code, output_hook=lambda msg: printed.append(msg["content"].get("text", "")), timeout=60)
    return "".join(printed)


@pytest.mark.reuse_passing_verdict
def test_kernel_is_forked_from_the_server_that_imported_torch_and_ends_cleanly():
    factory = KernelProvisionerFactory.instance()
    before = factory.default_provisioner_name
    kernel.use_for_this_process()
    try:
        manager, client = start_new_kernel(kernel_name="python3")
    finally:
        factory.default_provisioner_name = before
    try:
        assert isinstance(manager.provisioner, kernel.ForkedProvisioner)
        # torch was there before any cell ran, the kernel leads its own process group, and it runs code as usual
        checks = f"import os, sys\nprint('torch' in sys.modules, os.getpgid(0) == os.getpid(), os.getppid() != {os.getpid()})"
        assert _run(client, checks) == "True True True\n"
        assert _run(client, "import torch\nprint(torch.tensor([1.0, 2.0]) * 2)") == "tensor([2., 4.])\n"
        manager.interrupt_kernel()  # a signal to its group reaches the kernel alone (this process is still here)
        assert _run(client, "print(6 * 7)") == "42\n"
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    assert manager.provisioner is None or not manager.has_kernel
