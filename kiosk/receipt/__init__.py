"""What the kiosk prints: receipts (80 mm roll, A4, Letter, ESC/POS) and agents' pages.

Qt-free. Importing this package loads reportlab (about 0.15 s), which is why
the submission desk imports it in a worker thread after start-up. The ESC/POS
rendering (python-escpos) is imported only by whoever uses it.
"""

from kiosk.receipt.model import PAPERS, RECEIPT_LABEL_KEYS, Language, Paper, ReceiptData
from kiosk.receipt.page import PageDocument, PageFormat, render_page_document
from kiosk.receipt.pdf import DEJAVU_DIR, SHEETS, render_receipt

__all__ = [
    "DEJAVU_DIR",
    "PAPERS",
    "RECEIPT_LABEL_KEYS",
    "SHEETS",
    "Language",
    "PageDocument",
    "PageFormat",
    "Paper",
    "ReceiptData",
    "render_page_document",
    "render_receipt",
]
