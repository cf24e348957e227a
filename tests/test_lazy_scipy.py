"""``lazy_scipy``: scipy.ndimage without the numpy submodules scipy only copies, and never half-imported."""

import subprocess
import sys


def run(code: str) -> list[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()


def test_the_lean_import_leaves_numpys_unused_parts_unloaded_and_hands_them_out_on_use():
    code = (
        "import sys, numpy as np\n"
        "from lungseg.inference.lazy_scipy import COMPAT, UNUSED_NUMPY, ndimage\n"
        "nd = ndimage()\n"
        "print(any(f'numpy.{n}' in sys.modules for n in UNUSED_NUMPY))\n"
        "print('random' in np.__all__ and 'f2py' in dir(np))\n"  # numpy's own names are as they were
        "compat = sys.modules[COMPAT]\n"
        "print(compat.testing is np.testing, compat.ma is np.ma)\n"  # scipy's copy of numpy misses nothing
        "m = np.zeros((9, 9), bool); m[1:3, 1:3] = True; m[5:9, 5:9] = True\n"
        "print(nd.label(m)[1], int(nd.binary_erosion(m).sum()))\n"
        "try:\n    compat.no_such_name\nexcept AttributeError:\n    print('AttributeError')\n"
    )
    assert run(code) == ["False", "True", "True", "True", "2", "4", "AttributeError"]


def test_a_caller_never_gets_the_module_while_the_thread_ahead_still_imports_it():
    """The thread started by import_ahead puts a half-made scipy.ndimage in sys.modules: a caller in the meantime
    waits for the whole module (a run once failed films with "partially initialized module 'scipy.ndimage'")."""
    code = (
        "import sys, time\n"
        "from lungseg.inference.lazy_scipy import import_ahead, ndimage\n"
        "import_ahead()\n"
        "while 'scipy.ndimage' not in sys.modules:\n    time.sleep(0.001)\n"  # the thread is inside its import now
        "print(hasattr(ndimage(), 'label'))\n"
    )
    assert all(run(code) == ["True"] for _ in range(4))


def test_scipy_imported_before_as_usual_is_used_as_it_is():
    code = (
        "import sys, scipy.ndimage\n"
        "from lungseg.inference.lazy_scipy import COMPAT, ndimage\n"
        "print(ndimage() is scipy.ndimage, 'numpy.f2py' in sys.modules, '__getattr__' in vars(sys.modules[COMPAT]))\n"
    )
    assert run(code) == ["True", "True", "False"]
