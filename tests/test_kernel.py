"""The notebook page's kernel (verified/kernel.py): a real IPython kernel, forked from the server that imported torch."""

from __future__ import annotations

import os
import sys

import pytest
from jupyter_client.manager import start_new_kernel
from jupyter_client.provisioning import KernelProvisionerFactory

from verified import kernel, prefetch


def _run(client, code: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """What the cell printed, and its status ('ok' or 'error') with the exception's name."""
    printed = []
    reply = client.execute_interactive(code, output_hook=lambda msg: printed.append(msg["content"].get("text", "")), timeout=60)
    content = reply["content"]
    return "".join(printed), content["status"] + (f" {content['ename']}" if content["status"] == "error" else "")


@pytest.mark.reuse_passing_verdict
def test_kernel_is_forked_from_the_server_that_imported_torch_and_ends_cleanly():
    factory = KernelProvisionerFactory.instance()
    before = factory.default_provisioner_name
    kernel.use_for_this_process()
    try:
        manager, client = start_new_kernel(kernel_name="python3")
    finally:
        factory.default_provisioner_name = before
    pid, process = manager.provisioner.pid, manager.provisioner.process.process
    try:
        assert isinstance(manager.provisioner, kernel.ForkedProvisioner)
        assert isinstance(manager.provisioner.process, kernel._ForkedKernel)  # forked, not started afresh
        # torch was there before any cell ran, the kernel leads its own process group, and it runs code as usual
        checks = f"import os, sys\nprint('torch' in sys.modules, os.getpgid(0) == os.getpid(), os.getppid() != {os.getpid()})"
        assert _run(client, checks) == ("True True True\n", "ok")
        assert _run(client, "import torch\nprint(torch.tensor([1.0, 2.0]) * 2)") == ("tensor([2., 4.])\n", "ok")
        # An interrupt (SIGINT to the kernel's group) stops a running cell, and reaches nothing else: this process is here.
        # stop_on_error=False: else ipykernel 7 aborts requests that reach it before its own "stop aborting" message
        # (a race with the next cell below, seen on a loaded machine), which is not what this test is about.
        client.execute("import time\nprint('sleeping', flush=True)\ntime.sleep(60)", stop_on_error=False)
        while client.get_iopub_msg(timeout=30)["content"].get("text") != "sleeping\n":
            pass
        manager.interrupt_kernel()
        reply = client.get_shell_msg(timeout=30)
        assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"
        assert _run(client, "print(6 * 7)") == ("42\n", "ok")
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    assert process.exitcode == 0  # it shut down when asked, not killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # and it is gone


def test_only_a_kernel_a_fresh_process_would_start_like_the_server_is_forked(monkeypatch):
    this = [sys.executable, "-m", "ipykernel_launcher", "-f", "conn.json"]
    environment = {**prefetch.server_environment(), "JPY_SESSION_NAME": "page"}
    assert kernel._forkable(this, environment)
    assert not kernel._forkable(["/usr/bin/env", *this[1:]], environment)  # another interpreter (or program)
    assert not kernel._forkable([sys.executable, "-m", "another_kernel", "-f", "conn.json"], environment)
    assert not kernel._forkable(this, {**environment, "PYTHONHASHSEED": "123"})  # read when an interpreter starts
    assert not kernel._forkable(this, {name: value for name, value in environment.items() if name != "PATH"})
