"""Packaging for tbexplain (training side) and tbexplain_plugin (TensorBoard side)."""

from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent


def _version() -> str:
    for line in (ROOT / "tbexplain" / "__init__.py").read_text().splitlines():
        if line.startswith("__version__"):
            return line.split("=")[1].strip().strip("\"'")
    raise RuntimeError("__version__ not found in tbexplain/__init__.py")


setup(
    name="tbexplain",
    version=_version(),
    description=(
        "Explanations of TensorFlow/Keras models (Grad-CAM, integrated gradients, "
        "occlusion, ...), computed while the model trains and browsed live in "
        "TensorBoard."
    ),
    long_description=(ROOT / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["tbexplain", "tbexplain.*", "tbexplain_plugin"]),
    package_data={"tbexplain_plugin": ["static/**", "*.proto", "http_api.md"]},
    install_requires=[
        "tensorflow>=2.16",
        # TF 2.21 no longer pulls in TensorBoard: the plugin needs it.
        "tensorboard>=2.16",
        "numpy",
        # The committed plugin_data_pb2.py uses the builder API (protobuf >= 3.20).
        "protobuf>=3.20",
    ],
    extras_require={
        "dev": [
            "pytest>=8",
            "pytest-timeout",
            "pytest-xdist",
            "playwright",
            # Transformers built from their configs in tests (never weights).
            "keras-hub",
            # Keras really on another backend: tbexplain's one error there.
            "jax",
            "ruff",
            "mypy",
        ],
    },
    entry_points={
        "tensorboard_plugins": [
            "tbexplain = tbexplain_plugin.loader:ExplainLoader",
        ],
        "console_scripts": [
            "tbexplain = tbexplain.cli:main",
        ],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: TensorFlow",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
