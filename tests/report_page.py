"""What the report's browser tests share: opening a report until its list is drawn, reading its data block,
measuring overflow and chart text, and the folder screenshots go to."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Screenshots for people to look at; CI can collect this folder.
ARTIFACTS = Path(os.environ.get("RETAGUARDA_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "report"
WIDTHS = (360, 390, 1400, 1920)
SCREENS = {"phone": (390, 844), "desktop": (1400, 1000)}

# On the report, every list row drawn and its details opened, so all the data is on the page.
SHOW_EVERYTHING = """async () => {
  if (!window.retaguardaReport) return;
  await window.retaguardaReport.ready;
  const more = document.getElementById("open-more");
  while (!more.hidden) more.click();
  document.querySelectorAll("#open-table tr.item").forEach(row => row.click());
}"""


def open_report(page, path: Path) -> None:
    """Load a report and wait until its list is drawn from the data block."""
    page.open(path)
    page.page.wait_for_selector("html[data-ready]", state="attached", timeout=30_000)


def open_data(html: str) -> dict:
    """The open list's data block, decoded as the page's script decodes it."""
    found = re.search(r'<script type="application/json" id="data-open" data-encoding="([^"]+)">([^<]*)</script>', html)
    encoding, text = found.groups()
    if encoding == "gzip+base64":
        text = gzip.decompress(base64.b64decode(text)).decode()
    return json.loads(text)


def shown(page) -> int:
    return page.evaluate("window.retaguardaReport.shown().length")


# Every card, panel, table, toolbar and heading: wider than its box only inside a box meant to scroll.
OVERFLOW = """() => {
  const scrolls = element => {
    for (let box = element; box; box = box.parentElement) {
      const overflow = getComputedStyle(box).overflowX;
      if (overflow === "auto" || overflow === "scroll") return true;
    }
    return false;
  };
  const name = element => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
    (typeof element.className === "string" && element.className
      ? "." + element.className.trim().replace(/ +/g, ".") : "");
  const found = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) found.push(`page ${page.scrollWidth} > ${window.innerWidth}`);
  const selector = ".kpi, .kpi-label, .kpi-value, .kpi-note, .panel, .panel-head, table, .toolbar, .masthead-inner, " +
    "h1, h2, h3, .legend, .meta, .caption, .scroll, .scroll-x, footer p, tr.item, .detail-box";
  for (const element of document.querySelectorAll(selector)) {
    if (!element.getClientRects().length) continue;  // not displayed at this width
    if (element.scrollWidth > element.clientWidth + 1 && !scrolls(element)) {
      const text = element.textContent.trim().slice(0, 40);
      found.push(`${name(element)} ${element.scrollWidth} > ${element.clientWidth}: ${text}`);
    }
  }
  for (const card of document.querySelectorAll(".kpi")) {
    const edge = card.getBoundingClientRect().right;
    for (const child of card.querySelectorAll("*")) {
      if (child.getClientRects().length && child.getBoundingClientRect().right > edge + 0.5) {
        found.push(`${name(child)} leaves its card: ${child.textContent.trim().slice(0, 40)}`);
      }
    }
  }
  return found;
}"""

# The rendered size of every displayed chart label: its font size times the SVG's scale.
CHART_TEXT = """() => [...document.querySelectorAll("svg.chart")].filter(svg => svg.getClientRects().length)
  .flatMap(svg => {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [...svg.querySelectorAll("text")].map(text => parseFloat(getComputedStyle(text).fontSize) * scale);
  })"""

FIGURES = """() => [...document.querySelectorAll(".kpi-value")].map(value => ({
  key: value.closest("[data-kpi]").dataset.kpi, text: value.textContent, full: value.dataset.full,
  compact: value.dataset.compact, title: value.title}))"""
