"""``arpes-sigma lecture``: the Playground and the Explorer as a code-free web page, served by Voilà.

The page is the notebook ``arpes_sigma/app/lecture.ipynb`` shipped with the
package: the Playground with its teaching presets, then the Explorer on the
built-in demo spectrum. Voilà runs it in a kernel and shows only the
widgets and the text (``--strip_sources=True``), so a lecture needs a
browser and this one command, no code on screen. Voilà is an optional
dependency (``pip install 'arpes_sigma[lecture]'``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["lecture_command", "lecture_notebook", "register", "run"]


def lecture_notebook() -> Path:
    """Path of the lecture notebook shipped as package data (``arpes_sigma/app/lecture.ipynb``)."""
    path = Path(str(resources.files("arpes_sigma").joinpath("app", "lecture.ipynb")))
    if not path.is_file():
        raise ConfigError(f"the lecture notebook is missing from the installation ({path}); reinstall arpes_sigma")
    return path


def lecture_command(args: argparse.Namespace) -> list[str]:
    """The ``voila`` command line that serves the lecture notebook with the options in ``args``."""
    extra = list(args.voila_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    cmd = [sys.executable, "-m", "voila", str(lecture_notebook()), f"--port={args.port}", f"--Voila.ip={args.ip}",
           f"--template={args.template}", "--strip_sources=True"]
    if args.no_browser:
        cmd.append("--no-browser")
    return cmd + extra


def run(args: argparse.Namespace) -> int:
    """Run ``arpes-sigma lecture``: start Voilà on the lecture notebook and wait until it ends; its exit status."""
    cmd = lecture_command(args)
    if args.print_command:
        print(shlex.join(cmd))
        return 0
    if importlib.util.find_spec("voila") is None:
        raise ConfigError("the lecture app needs Voilà; install it with: pip install 'arpes_sigma[lecture]'")
    env = dict(os.environ)
    env.setdefault("JAX_PLATFORMS", "cpu")  # the widgets need no accelerator; skip JAX's probe for one
    print(f"arpes-sigma lecture: serving the Playground and the Explorer on http://{args.ip}:{args.port}/ "
          "(Ctrl-C stops it)", file=sys.stderr)
    return subprocess.call(cmd, env=env)


def register(sub: Any) -> None:
    """Add ``lecture`` to the ``arpes-sigma`` subparsers."""
    p = sub.add_parser(
        "lecture", help="serve the Playground (with teaching presets) and the Explorer as a code-free web page (Voilà)",
        description="Serve the Playground, with its teaching presets, and the Explorer on the built-in demo "
                    "spectrum as one web page without code, through Voilà. Open the printed address in a browser; "
                    "Ctrl-C stops the server.")
    p.add_argument("--port", type=int, default=8866, help="port to serve on (default 8866)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 to reach it from other machines)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    p.add_argument("--template", default="lab", help="Voilà template (default lab)")
    p.add_argument("--print-command", action="store_true", help="print the voila command instead of running it")
    p.add_argument("voila_args", nargs=argparse.REMAINDER, metavar="-- VOILA_OPTION",
                   help="further options passed to voila as they are, after --, e.g. -- --Voila.token=SECRET")
    p.set_defaults(func=run)
