"""`glasstorch run -n N script.py args...`: start N processes of a script under mpirun.

As torchrun starts the processes of a torch.distributed job, this wraps Open MPI's launcher:

    mpirun -n N [--hostfile F] --oversubscribe [--allow-run-as-root] -x OMP_NUM_THREADS ...
           python script.py args...

Each rank gets `threads` BLAS/OpenMP threads (default: this machine's cores / N). A hostfile
spreads the ranks over machines (multi-node: the same command, glasstorch installed at the same
path everywhere). Ctrl-C / SIGTERM are passed on to mpirun, which stops every rank; a failed
job ends with mpirun's exit code and a one-line summary.

    python -m glasstorch.distributed.run -n 2 examples/ddp_mnist.py --epochs 1
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys

__all__ = ["mpirun_command", "run", "main"]

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS")


def add_arguments(p):
    p.add_argument("-n", "--nproc", "--np", dest="nproc", type=int, default=2,
                   help="number of processes (ranks), default 2")
    p.add_argument("--hostfile", help="MPI hostfile: run the ranks on several machines")
    p.add_argument("--threads", type=int, help="BLAS threads per rank (default: cores / N)")
    p.add_argument("--mpirun", default="mpirun", help="the MPI launcher (default mpirun)")
    p.add_argument("--mpi-args", default="", help="extra options for mpirun, quoted")
    p.add_argument("-m", dest="module", help="run a module (like python -m) instead of a file")
    p.add_argument("script", nargs="?", help="the Python script each rank runs")
    p.add_argument("args", nargs=argparse.REMAINDER, help="the script's arguments")


def mpirun_command(nproc, script=None, args=(), module=None, hostfile=None, threads=None,
                   mpirun="mpirun", mpi_args=""):
    """The mpirun command line and the environment for it."""
    if nproc < 1:
        raise ValueError(f"glasstorch run: -n must be >= 1, got {nproc}")
    if (script is None) == (module is None):
        raise ValueError("glasstorch run: give a script (or -m module) to run")
    if threads is not None and threads < 1:
        raise ValueError(f"glasstorch run: --threads must be >= 1, got {threads}")
    if script is not None and not os.path.isfile(script):     # (the same path on every host)
        raise FileNotFoundError(f"glasstorch run: no such script: {script}")
    if shutil.which(mpirun) is None:
        raise FileNotFoundError(f"glasstorch run: {mpirun} not found; install Open MPI "
                                "(Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev)")
    threads = threads or max(1, (os.cpu_count() or 1) // nproc)
    env = dict(os.environ, **{v: str(threads) for v in _THREAD_VARS})
    # containers often forbid the cross-memory-attach copies of Open MPI's shared-memory
    # transport (ptrace rules); plain copies always work (and large messages go in pieces)
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    cmd = [mpirun, "-n", str(nproc), "--oversubscribe"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")       # containers and CI run as root
    if hostfile:
        cmd += ["--hostfile", hostfile]
    for var in ("PYTHONPATH", "GLASSTORCH_DEBUG", "PATH",
                "OMPI_MCA_btl_vader_single_copy_mechanism") + _THREAD_VARS:
        if var in env:
            cmd += ["-x", var]
    cmd += mpi_args.split()
    cmd += [sys.executable] + (["-m", module] if module else [script]) + list(args)
    return cmd, env


def run(cmd, env):
    """Run mpirun; forward SIGINT/SIGTERM/SIGHUP to it; return its exit code."""
    proc = subprocess.Popen(cmd, env=env)

    def forward(signum, frame):
        proc.send_signal(signum)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        return proc.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def main(argv=None):
    p = argparse.ArgumentParser(prog="glasstorch run",
                                description="Run a script on N processes with mpirun "
                                            "(glasstorch.distributed's launcher).")
    add_arguments(p)
    a = p.parse_args(argv)
    return launch(a)


def launch(a):
    try:
        cmd, env = mpirun_command(a.nproc, a.script, a.args, a.module, a.hostfile, a.threads,
                                  a.mpirun, a.mpi_args)
    except (ValueError, FileNotFoundError) as e:
        print(f"glasstorch run: error: {str(e).removeprefix('glasstorch run: ')}",
              file=sys.stderr)
        return 2
    code = run(cmd, env)
    if code != 0:
        print(f"glasstorch run: the job failed (mpirun exit code {code}); the failing rank "
              "is named above", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
