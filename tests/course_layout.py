"""The course's layout that several end-to-end tests rely on."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# One nbgrader assignment per chapter, each a single notebook of the same name.
ASSIGNMENTS = (
    "ex00_pipeline",
    "ex01_rnn",
    "ex02_lstm",
    "ex03_variants",
    "ex04_gru",
    "ex05_attention",
)
