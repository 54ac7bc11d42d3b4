"""The panel's History shows where each shared session stands with the collector, through the real panel."""

from __future__ import annotations

from agent.store import Store
from bridge.uploads import Backoff, KeyRing, Uploader
from tests.conftest import run_async
from tests.support.collector import CollectorThread, stored_shared
from tests.support.extension import BridgeThread, extension_browser
from tests.support.polling import poll


def test_history_shows_uploaded_and_removed_sessions(model, tmp_path):
    collector = CollectorThread(tmp_path / "collector" / "collector.db")
    store = Store(tmp_path / "farol.db")
    kept, withdrawn = stored_shared(store, "red"), stored_shared(store, "blue")
    keys = KeyRing(store.path.parent)
    keys.remember(collector.url, collector.keys["alice"])
    keys.set_auto(collector.url, include_earlier=True)  # both were shared before the collector was set
    uploader = Uploader(store, keys, auto=collector.url, backoff=Backoff(first=0.05, cap=0.4), interval=0.05)
    bridge = BridgeThread(store.path, model.url, uploader=uploader)

    async def scenario() -> None:
        await poll(
            uploader.queue.statuses,
            lambda statuses: [status.state for status in statuses.values()] == ["uploaded", "uploaded"],
            timeout=30,
            failure=str,
        )
        assert collector.held() == {kept.id, withdrawn.id}
        async with extension_browser(bridge, tmp_path / "profile") as browser:
            panel = browser.panel
            await panel.click("#tab-history")
            row = panel.locator(f"#history-list [data-id='{withdrawn.id}']")
            # Where each copy stands, in words on the row itself (no tooltip), naming the collector.
            await row.locator(".row-upload").get_by_text(f"Uploaded to {collector.url}").wait_for()
            assert "Shared" in await row.locator(".row-details").inner_text()
            await row.locator(".row-unshare").click()
            await row.locator(".row-upload").get_by_text(f"Being removed from {collector.url}").wait_for()
            await poll(collector.held, lambda held: held == {kept.id}, timeout=30, failure=str)
            await panel.click("#history-refresh")
            await row.locator(".row-upload").get_by_text(f"Removed from {collector.url}").wait_for()
            other = panel.locator(f"#history-list [data-id='{kept.id}']")
            await other.locator(".row-upload").get_by_text(f"Uploaded to {collector.url}").wait_for()

    try:
        run_async(scenario())
    finally:
        bridge.stop()
        collector.stop()
