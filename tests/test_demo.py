"""The offline demo (what ./run.sh runs without a token) plays the whole loop."""

from __future__ import annotations

from bot import demo


async def test_demo_plays_the_loop(capsys):
    await demo._run(0)
    out = capsys.readouterr().out
    assert "startgroup=" in out and "Đã công bố" in out and "đã xác nhận" in out
    assert "Tình hình thực hiện nhiệm vụ" in out and out.rstrip().endswith("(see README).")
