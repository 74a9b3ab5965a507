"""The notebook page's Jupyter kernel, forked from the server that has already imported torch (verified.prefetch).

A kernel started the usual way is a fresh interpreter that imports torch and torch._dynamo again (~2.5 s of a
cold build's CPU on two cores). This provisioner runs the kernel spec's command (`<this python> -m
ipykernel_launcher -f <connection file>`) in a process forked from that server instead: the same IPython
kernel, talking to nbclient over the same ZeroMQ sockets, in the working directory it is given.

A forked process keeps what the server's interpreter read when it started (sys.path, the hash seed, torch's
thread settings), so it is used only when that is what a fresh kernel would get: the spec runs this very
interpreter with ipykernel_launcher, and the kernel's environment is the server's (apart from Jupyter's own JPY_
variables). Any other kernel is started by jupyter_client's LocalProvisioner, as usual.

Registered as the entry point `verified-forked` of `jupyter_client.kernel_provisioners`; the mkdocs hook makes
it the default provisioner of the build's process only."""

from __future__ import annotations

import os
import runpy
import shutil
import sys
from multiprocessing.process import BaseProcess
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner

from verified import prefetch

NAME = "verified-forked"
LAUNCHER = "ipykernel_launcher"


def _run_kernel(argv: list[str], cwd: str | None, env: dict[str, str]) -> None:
    """In the forked process: what `python -m ipykernel_launcher argv...` does, where launch_kernel would do it."""
    os.setsid()  # its own process group, as launch_kernel gives a kernel: signals to the group reach it alone
    os.environ.update({name: value for name, value in env.items() if name.startswith("JPY_")})
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the kernel ends when the server it was forked from ends
    if cwd is not None:
        os.chdir(cwd)
    sys.argv = [LAUNCHER, *argv]
    runpy.run_module(LAUNCHER, run_name="__main__", alter_sys=True)


class _ForkedKernel:
    """What LocalProvisioner uses of a Popen, for a process forked from the preloaded server."""

    stdin = stdout = stderr = None

    def __init__(self, process: BaseProcess) -> None:
        self.process = process
        self.pid: int = process.pid  # type: ignore[assignment]

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout: float | None = None) -> int | None:
        self.process.join(timeout)
        return self.process.exitcode

    def send_signal(self, signum: int) -> None:
        if self.process.exitcode is not None:
            return  # as Popen.send_signal: a process that has ended gets no signal (and its pid may be reused)
        try:
            os.kill(self.pid, signum)
        except ProcessLookupError:
            pass  # it ended just now

    def kill(self) -> None:
        self.process.kill()

    def terminate(self) -> None:
        self.process.terminate()


def _forkable(cmd: list[str], env: dict[str, str] | None) -> bool:
    """Whether a fresh kernel would start as the server did: this interpreter, ipykernel_launcher, same environment."""
    executable = shutil.which(cmd[0]) if cmd else None
    if executable is None or os.path.realpath(executable) != os.path.realpath(sys.executable):
        return False
    if cmd[1:3] != ["-m", LAUNCHER]:
        return False
    given = {name: value for name, value in (env or os.environ).items() if not name.startswith("JPY_")}
    server = {name: value for name, value in prefetch.server_environment().items() if not name.startswith("JPY_")}
    return given == server


class ForkedProvisioner(LocalProvisioner):  # type: ignore[misc]
    """LocalProvisioner, except that a kernel a fresh process would start exactly like the server is forked from it."""

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if not _forkable(cmd, kwargs.get("env")):
            return await super().launch_kernel(cmd, **kwargs)
        cwd = kwargs.get("cwd")
        env = kwargs.get("env") or dict(os.environ)
        process = prefetch.context().Process(target=_run_kernel, args=(cmd[3:], None if cwd is None else str(cwd), env), daemon=False)
        process.start()  # waits for the server's imports if it has only just started
        self.process = _ForkedKernel(process)
        # Its own group once it has called setsid (its first act). Until then the group is the server's, which
        # getpgid would return and jupyter_client's killpg would then signal; by pid, killpg just fails and
        # jupyter_client falls back to signalling the kernel's pid alone.
        self.pid = self.pgid = process.pid
        self.cwd = cwd or os.getcwd()
        return self.connection_info


def use_for_this_process() -> None:
    """Make it the default provisioner of kernels started by this process (the build), and of no other."""
    from jupyter_client.provisioning import KernelProvisionerFactory

    KernelProvisionerFactory.instance().default_provisioner_name = NAME
