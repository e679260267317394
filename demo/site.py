"""The demo brand sites: a page with the xsell snippet, one reserved slot and a demo order button.

A click on a referral banner lands on the destination brand's page with
``?xsell_ref=<token>``; the tag keeps the token and removes it from the address
bar. The order button there is the brand's conversion tag: ``xsell("convert", ...)``.

Under the slot, a demo note says what the engine makes of the logged-in customer on this site
(the admin's read-only preview over the live config): which campaign they get, or why none, e.g.
that they already use every other brand. A real brand page has no such note.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from demo.brands import BY_ID, SLOT, Brand
from demo.customers import brands_used, customer_id

# A few customers to log in as, chosen so each home brand is represented.
SAMPLE_CUSTOMERS = tuple((n, customer_id(n)) for n in range(1, 7))
ORDER_VALUE = 5000  # yen, the demo order on every brand's page

# engine/explain reasons, as the demo note says them ({brand}: the campaign's destination).
_REASONS = {
    "uses_destination": "{brand}をすでに利用中",
    "opted_out": "{brand}への案内を停止中（オプトアウト）",
    "guarded": "このブランドの上位会員のため他ブランドへ案内しない設定（ガード）",
    "not_targeted": "ターゲティング条件に当てはまらない",
    "outside_schedule": "配信期間外",
    "held_out": "効果測定のためのホールドアウト群（バナーを出さない比較群）",
    "not_active": "キャンペーンが停止中",
}
_NOT_LISTED = ("own_brand", "not_on_this_slot")  # campaigns that could never show here


def explanation(brand: Brand, customer: str | None) -> str:
    """The demo note (HTML) for ``customer`` on ``brand``'s page: the engine's verdict, read-only."""
    if not customer:
        return "ログインしていない訪問者にはバナーを出しません。下の一覧からデモ会員を選んでください。"
    from xsell import roles
    from xsell.admin.access import Principal
    from xsell.admin.explain import explain
    from xsell.errors import InvalidRequest, XsellError

    viewer = Principal(user="demo-page", email="", role=roles.VIEWER, brand=None)
    try:
        verdict = explain(viewer, brand.site_id, SLOT, customer)
    except InvalidRequest as exc:
        return escape(f"会員ID {customer!r} は使えません: {exc}")
    except XsellError as exc:  # e.g. the site is not in the live config (any more)
        return escape(f"この会員について説明できません: {exc}")
    return _verdict_html(verdict)


def _verdict_html(verdict: dict[str, Any]) -> str:
    who = escape(verdict["customer_id"])
    known = "" if verdict["known_customer"] else "（取り込まれたデータにない会員: 新規として扱います）"
    winner = verdict["winner"]
    if winner is not None and not winner["holdout"]:
        return f"{who}{known}には <b>{escape(winner['campaign_id'])}</b> のバナーを表示します。"
    reasons = []
    for row in verdict["campaigns"]:
        if row["reason"] in _NOT_LISTED:
            continue
        name = BY_ID[row["destination_brand"]].name if row["destination_brand"] in BY_ID else ""
        text = _REASONS.get(row["reason"] or "", row["reason"] or "表示可能").format(brand=name)
        reasons.append(f"<li>{escape(row['campaign_id'])}: {escape(text)}</li>")
    if winner is not None:  # held out of the campaign that won
        held = escape(winner["campaign_id"])
        lead = f"{who}{known}は {held} の効果測定のホールドアウト群のため、バナーは出ません。"
    else:
        lead = f"{who}{known}に表示できるキャンペーンはありません:"
    return f"{lead}<ul>{''.join(reasons)}</ul>"


def render(brand: Brand, snippet: str, api_url: str, note: str = "") -> bytes:
    """The brand's home page. The logged-in customer comes from ?customer=<id>; ``note`` is the
    demo note under the slot (HTML, see :func:`explanation`)."""
    logins = "".join(
        f'<li><a href="?customer={cid}">{cid}</a> <small>({", ".join(brands_used(n))})</small></li>'
        for n, cid in SAMPLE_CUSTOMERS
    )
    init = json.dumps({"site": brand.site_id, "api": api_url})
    return f"""<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(brand.name)}</title>
<style>
  body {{ font-family: system-ui, sans-serif; margin: 0; color: #222; }}
  header {{ background: {brand.color}; color: #fff; padding: 16px 24px; }}
  main {{ max-width: 760px; margin: 24px auto; padding: 0 16px; }}
  /* The slot's size is reserved up front (the creative's full height), so a banner never moves the page. */
  [data-xsell-slot] {{ height: 122px; border-radius: 8px; background: #f6f6f6; }}
  .xsell-creative {{ display: flex; gap: 16px; align-items: center; padding: 15px; height: 90px;
    color: inherit; text-decoration: none; border: 1px solid #ddd; border-radius: 8px; background: #fff; }}
  .xsell-creative img {{ width: 120px; height: 90px; flex: none; }}
  .xsell-title {{ display: block; font-size: 1.1em; margin-bottom: 4px; }}
  .xsell-body {{ display: block; color: #555; }}
  .xsell-cta {{ margin-left: auto; white-space: nowrap; color: {brand.color}; }}
  .xsell-creative:focus-visible {{ outline: 3px solid {brand.color}; outline-offset: 2px; }}
  .order {{ margin-top: 32px; padding: 16px; border: 1px dashed #bbb; border-radius: 8px; }}
  .order button {{ font: inherit; padding: 8px 16px; background: {brand.color}; color: #fff; border: 0;
    border-radius: 6px; cursor: pointer; }}
</style>
<script>
{snippet}
xsell("init", {init});
(function () {{
  var id = new URLSearchParams(location.search).get("customer");
  if (id) {{ xsell("identify", {{ customer_id: id }}); }}
  xsell("page");
}})();
</script>
</head>
<body>
<header><h1>{escape(brand.name)}</h1><p>{escape(brand.tagline)}</p></header>
<main>
  <section aria-label="グループからのおすすめ">
    <div data-xsell-slot="{SLOT}"></div>
    <div class="hint" id="xsell-demo-note"><small>デモの説明: {note}
    （表示回数の上限・頻度・相互送客の比率はここでは見ていません。どの会員がどのブランドを利用中かは下の一覧のとおり）</small></div>
  </section>
  <h2>デモ会員でログイン</h2>
  <ul>{logins}</ul>
  <section class="order" aria-label="デモ注文">
    <h2>デモ注文</h2>
    <p>{escape(brand.name)} のデモ商品 ¥{ORDER_VALUE:,}</p>
    <button type="button" id="demo-order">注文する</button>
    <p id="demo-order-status" role="status"></p>
  </section>
</main>
<script>
// The conversion tag: report the order; the tag adds the referral it kept, if any.
document.getElementById("demo-order").addEventListener("click", function () {{
  var orderId = "{brand.brand_id.upper()}-" + Date.now();
  xsell("convert", {{ order_id: orderId, value: {ORDER_VALUE}, currency: "JPY" }});
  var status = document.getElementById("demo-order-status");
  status.textContent = "ご注文ありがとうございました（" + orderId + "）";
}});
</script>
</body>
</html>
""".encode()
