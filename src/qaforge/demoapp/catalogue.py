"""The demo shop's fixed catalogue (deterministic: same items, same order, every start)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    id: int
    name: str
    price_cents: int
    description: str

    @property
    def price(self) -> str:
        return f"${self.price_cents / 100:.2f}"


_NAMES = [
    ("Desk Lamp", 2999, "An adjustable LED lamp with three brightness levels."),
    ("Office Chair", 14900, "Ergonomic mesh chair with lumbar support."),
    ("Standing Desk", 39900, "Electric height-adjustable desk, 140 x 70 cm."),
    ("Notebook A5", 499, "Dotted notebook with 160 numbered pages."),
    ("Fountain Pen", 3450, "Steel nib fountain pen with a converter."),
    ("Monitor Arm", 8900, "Gas-spring arm for screens up to 32 inches."),
    ("Mechanical Keyboard", 11900, "Tenkeyless keyboard with tactile switches."),
    ("Wireless Mouse", 3999, "Quiet mouse with a two-year battery life."),
    ("USB-C Hub", 4599, "Seven ports including HDMI and card reader."),
    ("Webcam HD", 6900, "1080p webcam with a privacy shutter."),
    ("Headphones", 12900, "Closed-back headphones with noise cancelling."),
    ("Desk Mat", 1999, "Felt desk mat, 90 x 40 cm."),
    ("Cable Tray", 2499, "Under-desk tray that hides power strips."),
    ("Plant Pot", 1599, "Ceramic pot with a bamboo saucer."),
    ("Wall Clock", 2899, "Silent sweep wall clock, 30 cm."),
    ("Bookshelf", 15900, "Five-shelf oak veneer bookshelf."),
    ("Filing Cabinet", 18900, "Three-drawer lockable steel cabinet."),
    ("Whiteboard", 5900, "Magnetic whiteboard, 90 x 60 cm."),
    ("Marker Set", 899, "Eight dry-erase markers in assorted colours."),
    ("Sticky Notes", 599, "Twelve pads of recycled sticky notes."),
    ("Laptop Stand", 4999, "Aluminium stand that raises the screen 15 cm."),
    ("Footrest", 3599, "Tilting footrest with a massage surface."),
    ("Paper Shredder", 7900, "Cross-cut shredder for eight sheets."),
    ("Coffee Mug", 1299, "Stoneware mug, 350 ml."),
    ("Water Bottle", 2199, "Insulated bottle that keeps drinks cold for a day."),
    ("Backpack", 8900, "Water-resistant backpack with a laptop sleeve."),
    ("Desk Organizer", 2799, "Bamboo organizer with five compartments."),
    ("Label Maker", 4499, "Handheld label maker with a QWERTY keyboard."),
    ("Surge Protector", 3299, "Eight outlets and two USB ports."),
    ("Air Purifier", 17900, "HEPA purifier for rooms up to 30 m²."),
]

ITEMS: tuple[Item, ...] = tuple(Item(i + 1, n, p, d) for i, (n, p, d) in enumerate(_NAMES))
PAGE_SIZE = 10
API_PAGE_SIZE = 4
API_PAGES = 3


def find_item(item_id: int) -> Item | None:
    """The item with this id, if any."""
    return ITEMS[item_id - 1] if 1 <= item_id <= len(ITEMS) else None
