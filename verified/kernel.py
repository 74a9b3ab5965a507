"""The notebook page's Jupyter kernel, forked from the server that has already imported torch (verified.prefetch).

A kernel started the usual way is a fresh interpreter that imports torch and torch._dynamo again (~2.5 s of a
cold build's CPU on two cores). This provisioner starts the very command the kernel spec gives (`python -m
ipykernel_launcher -f <connection file>`), with its environment and working directory, in a process forked from
that server instead: the same IPython kernel, talking to nbclient over the same ZeroMQ sockets. Anything that is
not a `python -m` command is left to jupyter_client's own LocalProvisioner.

Registered as the entry point `verified-forked` of `jupyter_client.kernel_provisioners`; the mkdocs hook makes
it the default provisioner of the build's process only."""

from __future__ import annotations

import os
import runpy
import sys
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from verified import prefetch

NAME = "verified-forked"


def _run_kernel(module: str, argv: list[str], cwd: str | None, env: dict[str, str] | None) -> None:
    """In the forked process: what `python -m module argv...` would do, where launch_kernel would do it."""
    os.setsid()  # its own process group, as launch_kernel gives a kernel: signals to the group reach it alone
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the kernel ends when the server it was forked from ends
    if cwd is not None:
        os.chdir(cwd)
    sys.argv = [module, *argv]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


class _ForkedKernel:
    """What LocalProvisioner uses of a Popen, for a process forked from the preloaded server."""

    stdin = stdout = stderr = None

    def __init__(self, process: Any) -> None:
        self.process = process
        self.pid: int = process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.process.kill()

    def terminate(self) -> None:
        self.process.terminate()


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if len(cmd) < 3 or cmd[1] != "-m":
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd")
        process = prefetch.context().Process(
            target=_run_kernel, args=(cmd[2], cmd[3:], None if cwd is None else str(cwd), kwargs.get("env")), daemon=False
        )
        process.start()  # waits for the server's imports if it has only just started
        self.process = _ForkedKernel(process)
        self.pid = self.pgid = process.pid
        self.cwd = cwd or os.getcwd()
        return self.connection_info


def use_for_this_process() -> None:
    """Make it the default provisioner of kernels started by this process (the build), and of no other."""
    from jupyter_client.provisioning import KernelProvisionerFactory

    KernelProvisionerFactory.instance().default_provisioner_name = NAME
