"""Build hook: puts the plain-WASM module (offerfit_c.wasm) into the package.

`pip install ./bindings/python` and `pip wheel ./bindings/python` take the module from, in order:

1. the file named by the environment variable OFFERFIT_WASM (scripts/stages/python.sh sets it
   to the module it has just built);
2. src/offerfit/offerfit_c.wasm, if someone put it there;
3. a fresh `cargo build --release -p offerfit-c --target wasm32-unknown-unknown` in the
   repository this directory belongs to (honouring CARGO_TARGET_DIR), which needs Rust with
   the wasm32-unknown-unknown target.

All the metadata lives in pyproject.toml; only this step needs code.
"""

import os
import shutil
import subprocess

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "offerfit_c.wasm"


def find_wasm() -> str:
    env = os.environ.get("OFFERFIT_WASM")
    if env:
        if not os.path.isfile(env):
            raise SystemExit(f"OFFERFIT_WASM={env}: no such file")
        return env
    local = os.path.join(HERE, "src", "offerfit", NAME)
    if os.path.isfile(local):
        return local
    root = os.path.dirname(os.path.dirname(HERE))
    if not os.path.isfile(os.path.join(root, "bindings", "c", "Cargo.toml")):
        raise SystemExit(
            f"offerfit: {NAME} not found; set OFFERFIT_WASM to a built module, or build from the "
            "offerfit repository (bindings/python inside it)")
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(root, "target")
    subprocess.run(["cargo", "build", "--locked", "--release", "-p", "offerfit-c",
                    "--target", "wasm32-unknown-unknown"], cwd=root, check=True)
    return os.path.join(target, "wasm32-unknown-unknown", "release", NAME)


class BuildPyWithWasm(build_py):
    def run(self) -> None:
        super().run()
        dest = os.path.join(self.build_lib, "offerfit", NAME)
        src = find_wasm()
        if os.path.abspath(src) != os.path.abspath(dest):
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(src, dest)


setup(cmdclass={"build_py": BuildPyWithWasm})
