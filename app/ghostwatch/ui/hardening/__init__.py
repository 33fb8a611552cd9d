"""The hardening wizard, in parts: `wizard` (the QWizard and its state), `pages`, `widgets`, `dialogs`."""

from .dialogs import RangDialog, SelfTestDialog
from .pages import IntroPage, StepPage, SummaryPage
from .widgets import Badge, CopyBlock
from .wizard import HardeningWizard

__all__ = ["Badge", "CopyBlock", "HardeningWizard", "IntroPage", "RangDialog", "SelfTestDialog", "StepPage",
           "SummaryPage"]
