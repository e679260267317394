"""Deterministic demo customers, written as the CSV files a partner would upload."""

from __future__ import annotations

import csv
import io
import random

from demo.brands import BRANDS

PREFECTURES = ("東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道", "京都府", "兵庫県")
RANKS = ("bronze", "silver", "gold", "platinum")


def customer_id(n: int) -> str:
    return f"C{n:06d}"


def brands_used(n: int) -> list[str]:
    """Which brands customer ``n`` uses: one home brand, sometimes a second."""
    rng = random.Random(n)
    home = BRANDS[n % len(BRANDS)].brand_id
    used = [home]
    if rng.random() < 0.3:
        used.append(BRANDS[(n + 1) % len(BRANDS)].brand_id)
    return used


def profiles_csv(count: int) -> str:
    """Header in Japanese, as partners send it; UTF-8 with BOM as Excel saves it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["顧客ID", "グループランク", "性別", "生年", "都道府県", "入会日"])
    for n in range(1, count + 1):
        rng = random.Random(n * 7919)
        writer.writerow(
            [
                customer_id(n),
                rng.choice(RANKS),
                rng.choice(("female", "male", "other")),
                rng.randint(1950, 2005),
                rng.choice(PREFECTURES),
                f"20{rng.randint(15, 25):02d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            ]
        )
    return out.getvalue()


def brand_usage_csv(count: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer_id", "brand", "first_used", "last_purchase", "ltv", "brand_rank"])
    for n in range(1, count + 1):
        rng = random.Random(n * 104729)
        for brand in brands_used(n):
            writer.writerow(
                [
                    customer_id(n),
                    brand,
                    "2023-04-01",
                    f"2026-{rng.randint(1, 10):02d}-15",
                    rng.randint(1000, 300000),
                    rng.choice(("A", "B", "C")),
                ]
            )
    return out.getvalue()
