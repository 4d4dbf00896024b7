"""Draw the integration's own brand images (custom_components/fluvius/brand/).

Our own mark, not Fluvius' logo: a meter dial with an energy bolt and a gas flame.
Run with `scripts/run python scripts/make_brand.py`.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "custom_components" / "fluvius" / "brand"
TEAL = (0, 133, 124, 255)
YELLOW = (255, 196, 0, 255)
ORANGE = (255, 112, 67, 255)
WHITE = (255, 255, 255, 255)


def icon(size: int, *, dark: bool = False) -> Image.Image:
    """A square icon drawn at 4x and downscaled for smooth edges."""
    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    bg = (30, 40, 45, 255) if dark else TEAL
    d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=bg)
    # meter dial
    m = s // 8
    d.ellipse((m, m, s - m, s - m), outline=WHITE, width=s // 22)
    # lightning bolt
    c = s / 2
    bolt = [
        (c + 0.02 * s, 0.22 * s), (c - 0.16 * s, 0.54 * s), (c - 0.01 * s, 0.54 * s),
        (c - 0.06 * s, 0.80 * s), (c + 0.15 * s, 0.44 * s), (c + 0.01 * s, 0.44 * s),
        (c + 0.08 * s, 0.22 * s),
    ]
    d.polygon(bolt, fill=YELLOW)
    # small flame at the lower right
    fx, fy, fr = 0.76 * s, 0.76 * s, 0.11 * s
    d.ellipse((fx - fr, fy - fr * 0.6, fx + fr, fy + fr * 1.2), fill=ORANGE)
    flame = [(fx - fr, fy + 0.1 * fr), (fx, fy - 1.6 * fr), (fx + fr, fy + 0.1 * fr)]
    d.polygon(flame, fill=ORANGE)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon(256).save(OUT / "icon.png", optimize=True)
    icon(512).save(OUT / "icon@2x.png", optimize=True)
    icon(256, dark=True).save(OUT / "dark_icon.png", optimize=True)
    icon(512, dark=True).save(OUT / "dark_icon@2x.png", optimize=True)


if __name__ == "__main__":
    main()
