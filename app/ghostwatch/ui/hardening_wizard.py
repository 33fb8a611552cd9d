"""Kept for old imports: the hardening wizard lives in the `ui.hardening` package now."""

from .hardening import (  # noqa: F401 - re-exported
    Badge,
    CopyBlock,
    HardeningWizard,
    IntroPage,
    RangDialog,
    SelfTestDialog,
    StepPage,
    SummaryPage,
)
