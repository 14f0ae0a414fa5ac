"""A guard, not part of the package: snnrun's code is in runner/, schema/ and adapters/ (see setup.py).

When Python runs in the folder *above* a checkout named ``snnrun`` (``cd ~/src && python``), the current
folder comes first on ``sys.path``, so ``import snnrun`` finds this folder before the installed package.
Without this file Python would import the folder as an empty namespace package, and every use would
fail with ``module 'snnrun' has no attribute 'read_results'``. With it, the import replaces itself by the
installed snnrun (an editable install maps that to this very checkout) and otherwise says what to do.
pytest imports this file too, as the package named after the checkout's folder; under any name but
``snnrun`` it does nothing.
"""

import importlib
import os
import sys


def _installed_snnrun():
    here = os.path.dirname(os.path.abspath(__file__))
    parent = os.path.dirname(here)
    guard = sys.modules.pop(__name__)
    saved = sys.path[:]
    # without the folder above the checkout, "snnrun" is found where it is installed
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != parent]
    try:
        return importlib.import_module(__name__)
    except ImportError as exc:
        sys.modules[__name__] = guard
        raise ImportError(
            f"'{here}' is a source checkout of snnrun, not the installed package, and Python imported it "
            f"because it runs in '{parent}'; snnrun itself is not installed ({exc}). Install it with "
            f"pip install -e \"{here}\" (or run Python from another folder)") from None
    finally:
        sys.path[:] = saved


if __name__ == "snnrun":  # imported under another name (pytest collects the checkout as a package): inert
    sys.modules[__name__] = _installed_snnrun()
