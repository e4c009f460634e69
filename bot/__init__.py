"""dondoc: follow-up of conclusion notices (Thông báo kết luận) over Telegram."""

__version__ = "0.1.0"
