"""The demo brand sites: a page with the xsell snippet, one reserved slot and a demo order button.

A click on a referral banner lands on the destination brand's page with
``?xsell_ref=<token>``; the tag keeps the token and removes it from the address
bar. The order button there is the brand's conversion tag: ``xsell("convert", ...)``.
"""

from __future__ import annotations

import json
from html import escape

from demo.brands import SLOT, Brand
from demo.customers import brands_used, customer_id

# A few customers to log in as, chosen so each home brand is represented.
SAMPLE_CUSTOMERS = tuple((n, customer_id(n)) for n in range(1, 7))
ORDER_VALUE = 5000  # yen, the demo order on every brand's page


def render(brand: Brand, snippet: str, api_url: str) -> bytes:
    """The brand's home page. The logged-in customer comes from ?customer=<id>."""
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
    <p class="hint"><small>バナーが出ないとき: その会員はグループの他ブランドをすべて利用済み、
    表示回数の上限に到達、または効果測定のためのホールドアウト群です
    （どの会員がどのブランドを利用中かは下の一覧のとおり）。</small></p>
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
