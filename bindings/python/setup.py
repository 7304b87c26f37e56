"""Builds stockade._core, the extension over libstockade.

The library is built by the project's Makefile (two directories up) into
its static archive, which the extension links: the installed module needs
no libstockade.so, only the system's libseccomp, jansson and inih."""

import os
import subprocess

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("STOCKADE_BUILD", "build")
ARCHIVE = os.path.join(ROOT, BUILD, "libstockade.a")


class BuildWithLibrary(build_ext):
    """Makes libstockade.a first (make is incremental: nothing to do when
    it is up to date)."""

    def run(self):
        subprocess.check_call(
            ["make", "-C", ROOT, f"BUILD={BUILD}", f"{BUILD}/libstockade.a"]
        )
        super().run()


def pkg_libs():
    try:
        out = subprocess.run(
            ["pkg-config", "--libs-only-l", "jansson", "libseccomp", "inih"],
            check=True, capture_output=True, text=True,
        ).stdout
        return [flag[2:] for flag in out.split() if flag.startswith("-l")]
    except (OSError, subprocess.CalledProcessError):
        return ["jansson", "seccomp", "inih"]


setup(
    ext_modules=[
        Extension(
            "stockade._core",
            sources=["src/_core.c"],
            include_dirs=[os.path.join(ROOT, "include")],
            extra_objects=[ARCHIVE],
            libraries=pkg_libs(),
            extra_compile_args=["-std=gnu11", "-Wall", "-Wextra", "-Werror"],
            depends=[ARCHIVE, os.path.join(ROOT, "include", "stockade.h")],
        )
    ],
    cmdclass={"build_ext": BuildWithLibrary},
)
