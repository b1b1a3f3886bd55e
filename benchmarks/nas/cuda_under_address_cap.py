"""Does CUDA start in a process whose address space is capped as a trial worker's was?

    python benchmarks/nas/cuda_under_address_cap.py

Two child processes import torch; one caps its address space at its start size
plus 4096 MB (``RLIMIT_AS``, as trial workers did before
``runners.processes.memory_guard``), the other does not; each prints whether torch
sees a GPU and sums a tensor on it. On an H200 machine (2026-12-04) the capped one
got "Error 2: out of memory" from ``cudaGetDeviceCount``:
``benchmarks/results/nas_gpu_shared/cuda_under_address_cap.txt``.
"""
import subprocess
import sys

CHILD = """
import os, resource, sys, torch
size = int(open('/proc/self/statm').read().split()[0]) * os.sysconf('SC_PAGE_SIZE')
if sys.argv[1] == 'cap':
    resource.setrlimit(resource.RLIMIT_AS, (size + 4096 * 2**20, resource.RLIM_INFINITY))
try:
    ok = torch.cuda.is_available()
    x = torch.ones(1000, device='cuda').sum().item() if ok else None
    print(sys.argv[1], 'start size MB', size >> 20, 'cuda available', ok, 'sum', x)
except Exception as exc:
    print(sys.argv[1], 'error', type(exc).__name__, str(exc)[:300])
"""
for arm in ("cap", "nocap"):
    out = subprocess.run([sys.executable, "-c", CHILD, arm], capture_output=True, text=True,
                         check=False)
    print(out.stdout.strip(), out.stderr.strip()[-400:])
